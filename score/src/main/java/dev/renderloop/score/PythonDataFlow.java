package dev.renderloop.score;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * CodeBLEU's data-flow graph for Python: a port of {@code get_data_flow}, {@code DFG_python},
 * {@code tree_to_token_index}, {@code tree_to_variable_index} and {@code index_to_code_token} from the reference
 * package (k4black/codebleu 0.7.1, itself from microsoft/CodeXGLUE), and of {@code normalize_dataflow}.
 *
 * <p>Faithfulness notes, where the Python code has behaviour a plain reimplementation would not have:
 * <ul>
 *   <li>Token text is cut from the code's lines with tree-sitter's byte columns used as character indices, exactly as
 *       the package slices Python strings (so tokens after a non-ASCII character on the same line are shifted, as
 *       there).</li>
 *   <li>Any exception in the Python code (a missing field child, a failed lookup, Python's recursion limit on very
 *       deep trees) makes the package return an empty graph; here those cases return an empty graph too. The
 *       recursion limit is approximated by a tree depth of {@value #PYTHON_RECURSION_DEPTH}.</li>
 *   <li>Where the package merges parent-name lists with {@code list(set(...))}, the order of the result follows
 *       Python's per-process string hash seed, and that order changes variable numbering in
 *       {@code normalize_dataflow}: the package's score can differ from run to run. We keep first-seen order, which
 *       is deterministic; the parity fixtures record the package's range over several hash seeds.</li>
 * </ul>
 */
final class PythonDataFlow {

    /** Tree depth beyond which CPython (recursion limit 1000) fails inside the package's recursive walk. */
    static final int PYTHON_RECURSION_DEPTH = 985;

    private PythonDataFlow() {
    }

    /** One data-flow edge set: variable {@code name} at token {@code index} {@code relation} the parents. */
    record Edge(String name, int index, String relation, List<String> parentNames, List<Integer> parentIndices) {
    }

    /** A normalised edge: names replaced by var_0, var_1, ... in order of first appearance. */
    record NormalEdge(String name, String relation, List<String> parentNames) {
    }

    private record Token(int index, String code) {
    }

    /** Raised where the Python code raises; caught by {@link #dataFlow}, which then returns an empty graph. */
    private static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    /** {@code get_data_flow(code, parser)} for already parsed {@code code}. */
    static List<Edge> dataFlow(String code, TreeSitterPythonParser.Parsed parsed) {
        List<Edge> dfg;
        if (parsed.depth() > PYTHON_RECURSION_DEPTH) {
            dfg = List.of();
        } else {
            try {
                dfg = rawDataFlow(code, parsed.root());
            } catch (Failure e) {
                dfg = List.of();
            }
        }
        // merge nodes
        Map<Integer, Edge> merged = new LinkedHashMap<>();
        for (Edge d : dfg) {
            Edge old = merged.get(d.index);
            if (old == null) {
                merged.put(d.index, d);
            } else {
                merged.put(d.index, new Edge(d.name, d.index, d.relation, union(old.parentNames, d.parentNames),
                        union(old.parentIndices, d.parentIndices)));
            }
        }
        return new ArrayList<>(merged.values());
    }

    private static List<Edge> rawDataFlow(String code, SyntaxNode root) {
        List<SyntaxNode.PointRange> tokensIndex = new ArrayList<>();
        treeToTokenIndex(root, tokensIndex);
        String[] lines = code.split("\n", -1);
        Map<SyntaxNode.PointRange, Token> indexToCode = new HashMap<>();
        for (int i = 0; i < tokensIndex.size(); i++) {
            SyntaxNode.PointRange r = tokensIndex.get(i);
            indexToCode.put(r, new Token(i, indexToCodeToken(r, lines)));
        }
        List<Edge> dfg;
        try {
            dfg = new ArrayList<>(dfgPython(root, indexToCode, new HashMap<>()).edges);
        } catch (Failure | NullPointerException e) {
            // The package: try: DFG, _ = DFG_python(...) except Exception: DFG = []
            dfg = new ArrayList<>();
        }
        dfg.sort(Comparator.comparingInt(Edge::index));
        java.util.Set<Integer> indexs = new java.util.HashSet<>();
        for (Edge d : dfg) {
            if (!d.parentIndices.isEmpty()) {
                indexs.add(d.index);
            }
            indexs.addAll(d.parentIndices);
        }
        List<Edge> kept = new ArrayList<>();
        for (Edge d : dfg) {
            if (indexs.contains(d.index)) {
                kept.add(d);
            }
        }
        return kept;
    }

    /** {@code normalize_dataflow}: variable names replaced by var_i in order of first appearance. */
    static List<NormalEdge> normalise(List<Edge> dataflow) {
        Map<String, String> names = new HashMap<>();
        List<NormalEdge> out = new ArrayList<>(dataflow.size());
        for (Edge e : dataflow) {
            for (String p : e.parentNames) {
                names.computeIfAbsent(p, k -> "var_" + names.size());
            }
            names.computeIfAbsent(e.name, k -> "var_" + names.size());
            List<String> parents = new ArrayList<>(e.parentNames.size());
            for (String p : e.parentNames) {
                parents.add(names.get(p));
            }
            out.add(new NormalEdge(names.get(e.name), e.relation, parents));
        }
        return out;
    }

    // ---- parser/utils.py ----

    private static boolean isToken(SyntaxNode n) {
        return (n.isLeaf() || n.type.equals("string_literal") || n.type.equals("string")
                || n.type.equals("character_literal")) && !n.type.equals("comment");
    }

    private static void treeToTokenIndex(SyntaxNode n, List<SyntaxNode.PointRange> out) {
        if (isToken(n)) {
            out.add(n.range());
        } else {
            for (SyntaxNode c : n.children) {
                treeToTokenIndex(c, out);
            }
        }
    }

    private static List<SyntaxNode.PointRange> treeToVariableIndex(SyntaxNode n, Map<SyntaxNode.PointRange, Token> indexToCode) {
        if (n == null) {
            throw new Failure("'NoneType' object has no attribute 'children'");
        }
        List<SyntaxNode.PointRange> out = new ArrayList<>();
        variableIndex(n, indexToCode, out);
        return out;
    }

    private static void variableIndex(SyntaxNode n, Map<SyntaxNode.PointRange, Token> indexToCode,
                                      List<SyntaxNode.PointRange> out) {
        if (isToken(n)) {
            Token t = lookup(indexToCode, n.range());
            if (!n.type.equals(t.code)) {
                out.add(n.range());
            }
        } else {
            for (SyntaxNode c : n.children) {
                variableIndex(c, indexToCode, out);
            }
        }
    }

    private static Token lookup(Map<SyntaxNode.PointRange, Token> indexToCode, SyntaxNode.PointRange r) {
        Token t = indexToCode.get(r);
        if (t == null) {
            throw new Failure("KeyError " + r);
        }
        return t;
    }

    /** Cuts a token from the lines, using byte columns as character (code point) indices like Python slicing. */
    static String indexToCodeToken(SyntaxNode.PointRange r, String[] lines) {
        if (r.startRow() >= lines.length || r.endRow() >= lines.length) {
            throw new Failure("IndexError: list index out of range");
        }
        if (r.startRow() == r.endRow()) {
            return slice(lines[r.startRow()], r.startColumn(), r.endColumn());
        }
        StringBuilder s = new StringBuilder(slice(lines[r.startRow()], r.startColumn(), Integer.MAX_VALUE));
        for (int i = r.startRow() + 1; i < r.endRow(); i++) {
            s.append(lines[i]);
        }
        s.append(slice(lines[r.endRow()], 0, r.endColumn()));
        return s.toString();
    }

    /** Python's {@code s[from:to]} for non-negative bounds, indices counted in code points. */
    private static String slice(String s, int from, int to) {
        int n = s.codePointCount(0, s.length());
        int a = Math.min(from, n);
        int b = Math.min(to, n);
        if (b <= a) {
            return "";
        }
        int begin = s.offsetByCodePoints(0, a);
        int end = s.offsetByCodePoints(begin, b - a);
        return s.substring(begin, end);
    }

    // ---- DFG_python ----

    private record Result(List<Edge> edges, Map<String, List<Integer>> states) {
    }

    private static final List<String> ASSIGNMENT = List.of("assignment", "augmented_assignment", "for_in_clause");

    private static Result dfgPython(SyntaxNode root, Map<SyntaxNode.PointRange, Token> indexToCode,
                                    Map<String, List<Integer>> inStates) {
        Map<String, List<Integer>> states = new HashMap<>(inStates);
        if (isToken(root)) {
            Token t = lookup(indexToCode, root.range());
            if (root.type.equals(t.code)) {
                return new Result(List.of(), states);
            } else if (states.containsKey(t.code)) {
                return new Result(List.of(new Edge(t.code, t.index, "comesFrom", List.of(t.code),
                        List.copyOf(states.get(t.code)))), states);
            } else {
                if (root.type.equals("identifier")) {
                    states.put(t.code, List.of(t.index));
                }
                return new Result(List.of(new Edge(t.code, t.index, "comesFrom", List.of(), List.of())), states);
            }
        } else if (root.type.equals("default_parameter")) {
            SyntaxNode name = root.child("name");
            SyntaxNode value = root.child("value");
            List<Edge> dfg = new ArrayList<>();
            if (value == null) {
                for (SyntaxNode.PointRange index : treeToVariableIndex(name, indexToCode)) {
                    Token t = lookup(indexToCode, index);
                    dfg.add(new Edge(t.code, t.index, "comesFrom", List.of(), List.of()));
                    states.put(t.code, List.of(t.index));
                }
                return new Result(sortedByIndex(dfg), states);
            }
            List<SyntaxNode.PointRange> nameIndexs = treeToVariableIndex(name, indexToCode);
            List<SyntaxNode.PointRange> valueIndexs = treeToVariableIndex(value, indexToCode);
            Result r = dfgPython(value, indexToCode, states);
            dfg.addAll(r.edges);
            states = r.states;
            for (SyntaxNode.PointRange index1 : nameIndexs) {
                Token t1 = lookup(indexToCode, index1);
                for (SyntaxNode.PointRange index2 : valueIndexs) {
                    Token t2 = lookup(indexToCode, index2);
                    dfg.add(new Edge(t1.code, t1.index, "comesFrom", List.of(t2.code), List.of(t2.index)));
                }
                states = withState(states, t1.code, List.of(t1.index));
            }
            return new Result(sortedByIndex(dfg), states);
        } else if (ASSIGNMENT.contains(root.type)) {
            List<SyntaxNode> leftNodes;
            List<SyntaxNode> rightNodes;
            if (root.type.equals("for_in_clause")) {
                rightNodes = List.of(last(root.children));
                leftNodes = java.util.Collections.singletonList(root.child("left"));
            } else {
                if (root.child("right") == null) {
                    return new Result(List.of(), states);
                }
                Sides sides = sides(root);
                leftNodes = sides.left();
                rightNodes = sides.right();
            }
            List<Edge> dfg = new ArrayList<>();
            for (SyntaxNode node : rightNodes) {
                Result r = dfgPython(node, indexToCode, states);
                dfg.addAll(r.edges);
                states = r.states;
            }
            states = assignEdges(leftNodes, rightNodes, indexToCode, states, dfg);
            return new Result(sortedByIndex(dfg), states);
        } else if (root.type.equals("if_statement")) {
            List<Edge> dfg = new ArrayList<>();
            Map<String, List<Integer>> currentStates = new HashMap<>(states);
            List<Map<String, List<Integer>>> othersStates = new ArrayList<>();
            boolean tag = root.type.contains("else");
            for (SyntaxNode child : root.children) {
                if (child.type.contains("else")) {
                    tag = true;
                }
                if (!child.type.equals("elif_clause") && !child.type.equals("else_clause")) {
                    Result r = dfgPython(child, indexToCode, currentStates);
                    dfg.addAll(r.edges);
                    currentStates = r.states;
                } else {
                    Result r = dfgPython(child, indexToCode, states);
                    dfg.addAll(r.edges);
                    othersStates.add(r.states);
                }
            }
            othersStates.add(currentStates);
            if (!tag) {
                othersStates.add(states);
            }
            Map<String, List<Integer>> newStates = new LinkedHashMap<>();
            for (Map<String, List<Integer>> dic : othersStates) {
                for (var e : dic.entrySet()) {
                    newStates.merge(e.getKey(), e.getValue(), (a, b) -> {
                        List<Integer> all = new ArrayList<>(a);
                        all.addAll(b);
                        return all;
                    });
                }
            }
            newStates.replaceAll((k, v) -> List.copyOf(new TreeSet<>(v)));
            return new Result(sortedByIndex(dfg), newStates);
        } else if (root.type.equals("for_statement")) {
            List<Edge> dfg = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Sides sides = sides(root);
                List<SyntaxNode> leftNodes = sides.left();
                List<SyntaxNode> rightNodes = sides.right();
                for (SyntaxNode node : rightNodes) {
                    Result r = dfgPython(node, indexToCode, states);
                    dfg.addAll(r.edges);
                    states = r.states;
                }
                states = assignEdges(leftNodes, rightNodes, indexToCode, states, dfg);
                if (last(root.children).type.equals("block")) {
                    Result r = dfgPython(last(root.children), indexToCode, states);
                    dfg.addAll(r.edges);
                    states = r.states;
                }
            }
            return new Result(mergeLoopEdges(dfg), states);
        } else if (root.type.equals("while_statement")) {
            List<Edge> dfg = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                for (SyntaxNode child : root.children) {
                    Result r = dfgPython(child, indexToCode, states);
                    dfg.addAll(r.edges);
                    states = r.states;
                }
            }
            return new Result(mergeLoopEdges(dfg), states);
        } else {
            List<Edge> dfg = new ArrayList<>();
            for (SyntaxNode child : root.children) {
                if (child.type.equals("for_in_clause")) {
                    Result r = dfgPython(child, indexToCode, states);
                    dfg.addAll(r.edges);
                    states = r.states;
                }
            }
            for (SyntaxNode child : root.children) {
                if (!child.type.equals("for_in_clause")) {
                    Result r = dfgPython(child, indexToCode, states);
                    dfg.addAll(r.edges);
                    states = r.states;
                }
            }
            return new Result(sortedByIndex(dfg), states);
        }
    }

    /** The target and value sides of an assignment-like node. */
    private record Sides(List<SyntaxNode> left, List<SyntaxNode> right) {
    }

    /** The left and right node lists of an assignment or for statement, with the package's fallbacks. */
    private static Sides sides(SyntaxNode root) {
        SyntaxNode left = root.child("left");
        SyntaxNode right = root.child("right");
        if (left == null || right == null) {
            throw new Failure("'NoneType' object has no attribute 'children'");
        }
        List<SyntaxNode> leftNodes = withoutCommas(left.children);
        List<SyntaxNode> rightNodes = withoutCommas(right.children);
        if (rightNodes.size() != leftNodes.size()) {
            leftNodes = List.of(left);
            rightNodes = List.of(right);
        }
        if (leftNodes.isEmpty()) {
            leftNodes = List.of(left);
        }
        if (rightNodes.isEmpty()) {
            rightNodes = List.of(right);
        }
        return new Sides(leftNodes, rightNodes);
    }

    private static Map<String, List<Integer>> assignEdges(List<SyntaxNode> leftNodes, List<SyntaxNode> rightNodes,
                                                          Map<SyntaxNode.PointRange, Token> indexToCode,
                                                          Map<String, List<Integer>> states, List<Edge> dfg) {
        Map<String, List<Integer>> s = states;
        int pairs = Math.min(leftNodes.size(), rightNodes.size());
        for (int k = 0; k < pairs; k++) {
            List<SyntaxNode.PointRange> leftTokens = treeToVariableIndex(leftNodes.get(k), indexToCode);
            List<SyntaxNode.PointRange> rightTokens = treeToVariableIndex(rightNodes.get(k), indexToCode);
            List<String> names = new ArrayList<>(rightTokens.size());
            List<Integer> indices = new ArrayList<>(rightTokens.size());
            for (SyntaxNode.PointRange x : rightTokens) {
                Token t = lookup(indexToCode, x);
                names.add(t.code);
                indices.add(t.index);
            }
            for (SyntaxNode.PointRange index1 : leftTokens) {
                Token t1 = lookup(indexToCode, index1);
                dfg.add(new Edge(t1.code, t1.index, "computedFrom", List.copyOf(names), List.copyOf(indices)));
                s = withState(s, t1.code, List.of(t1.index));
            }
        }
        return s;
    }

    /** The loop statements' merge of edges with the same (name, index, relation), ordered by index. */
    private static List<Edge> mergeLoopEdges(List<Edge> dfg) {
        record Key(String name, int index, String relation) {
        }
        Map<Key, Edge> dic = new LinkedHashMap<>();
        for (Edge x : dfg) {
            Key k = new Key(x.name, x.index, x.relation);
            Edge old = dic.get(k);
            if (old == null) {
                dic.put(k, x);
            } else {
                List<Integer> idx = List.copyOf(new TreeSet<>(union(old.parentIndices, x.parentIndices)));
                dic.put(k, new Edge(x.name, x.index, x.relation, union(old.parentNames, x.parentNames), idx));
            }
        }
        return sortedByIndex(new ArrayList<>(dic.values()));
    }

    private static Map<String, List<Integer>> withState(Map<String, List<Integer>> states, String name,
                                                        List<Integer> value) {
        states.put(name, value);
        return states;
    }

    private static List<Edge> sortedByIndex(List<Edge> dfg) {
        List<Edge> out = new ArrayList<>(dfg);
        out.sort(Comparator.comparingInt(Edge::index)); // stable, like Python's sorted
        return out;
    }

    private static List<SyntaxNode> withoutCommas(List<SyntaxNode> nodes) {
        List<SyntaxNode> out = new ArrayList<>(nodes.size());
        for (SyntaxNode n : nodes) {
            if (!n.type.equals(",")) {
                out.add(n);
            }
        }
        return out;
    }

    private static SyntaxNode last(List<SyntaxNode> nodes) {
        if (nodes.isEmpty()) {
            throw new Failure("IndexError: list index out of range");
        }
        return nodes.get(nodes.size() - 1);
    }

    /** {@code list(set(a + b))} with first-seen order (see the class comment on Python's set order). */
    private static <T> List<T> union(List<T> a, List<T> b) {
        LinkedHashSet<T> s = new LinkedHashSet<>(a);
        s.addAll(b);
        return List.copyOf(s);
    }
}
