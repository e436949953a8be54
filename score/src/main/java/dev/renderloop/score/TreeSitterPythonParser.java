package dev.renderloop.score;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Deque;
import org.treesitter.TSInputEncoding;
import org.treesitter.TSNode;
import org.treesitter.TSParser;
import org.treesitter.TSTree;
import org.treesitter.TSTreeCursor;
import org.treesitter.TreeSitterPython;

/**
 * Parses Python with tree-sitter (grammar tree-sitter-python 0.23.4) into a {@link SyntaxNode} copy.
 *
 * <p>Thread-safety: a tree-sitter parser is not safe for concurrent use, so each thread keeps its own (parsers are
 * small and reusable; trees are copied out and the native tree is dropped at once).
 *
 * <p>The source goes to tree-sitter as real UTF-8 through a reader: the binding's {@code parseString} passes JNI's
 * "modified UTF-8", which encodes characters outside the BMP and NUL differently and so shifts byte columns.
 */
final class TreeSitterPythonParser {

    private static final ThreadLocal<TSParser> PARSER = ThreadLocal.withInitial(() -> {
        TSParser parser = new TSParser();
        if (!parser.setLanguage(new TreeSitterPython())) {
            throw new IllegalStateException("tree-sitter rejected the Python grammar (ABI mismatch)");
        }
        return parser;
    });

    private TreeSitterPythonParser() {
    }

    /**
     * A parsed tree with its size, depth and whether tree-sitter found ERROR or MISSING nodes.
     *
     * @param sexpProblem when S-expressions were asked for but not recorded (tree too deeply nested for the budget),
     *                    why; otherwise null
     */
    record Parsed(SyntaxNode root, int nodeCount, int namedNodeCount, int depth, boolean hasError,
                  String sexpProblem) {
    }

    /**
     * Budget for all inner nodes' S-expressions of one tree, in characters. Their total length grows with size times
     * depth (each node's string contains its subtree), which is harmless for real programs (a 200-line program needs
     * about 1M) and quadratic for pathological nesting.
     */
    static final long SEXP_BUDGET_CHARS = 16_000_000L;

    /** Trees deeper than this print their S-expression on a thread with a large stack (tree-sitter recurses). */
    private static final int DEEP_TREE = 400;

    /**
     * Parses {@code code}.
     *
     * @param withSexp also record each inner node's S-expression (only CodeBLEU's syntax match needs them)
     */
    static Parsed parse(String code, boolean withSexp) {
        byte[] source = code.getBytes(StandardCharsets.UTF_8);
        TSParser parser = PARSER.get();
        TSTree tree = parser.parse(new byte[Math.max(1, Math.min(source.length, 1 << 16))], null,
                (buffer, offset, point) -> {
                    int n = Math.max(0, Math.min(buffer.length, source.length - offset));
                    System.arraycopy(source, offset, buffer, 0, n);
                    return n;
                }, TSInputEncoding.TSInputEncodingUTF8);
        if (tree == null) {
            // Only happens on a timeout or cancellation, neither of which is set.
            throw new IllegalStateException("tree-sitter returned no tree");
        }
        TSNode tsRoot = tree.getRootNode();
        // Pre-order walk with a tree cursor: one native step per node, linear (asking a node for the field name of
        // its i-th child rescans the children), and iterative, so deep expressions cannot overflow the Java stack.
        TSTreeCursor cursor = new TSTreeCursor(tsRoot);
        SyntaxNode root = copy(tsRoot, null);
        int nodes = 0;
        int named = 0;
        int maxDepth = 0;
        // Nodes that print as a parenthesised group in tree-sitter's S-expression, in pre-order.
        List<SyntaxNode> printed = new ArrayList<>();
        // Anonymous nodes with their native handles, in case one has children (see below).
        List<SyntaxNode> anonymous = new ArrayList<>();
        List<TSNode> anonymousNative = new ArrayList<>();
        Deque<SyntaxNode> ancestors = new ArrayDeque<>();
        SyntaxNode node = root;
        TSNode current = tsRoot;
        walk:
        while (true) {
            nodes++;
            if (node.named) {
                named++;
            }
            maxDepth = Math.max(maxDepth, ancestors.size() + 1);
            if (node.named || node.missing) {
                printed.add(node);
            } else if (withSexp) {
                anonymous.add(node);
                anonymousNative.add(current);
            }
            if (cursor.gotoFirstChild()) {
                ancestors.push(node);
            } else {
                while (!cursor.gotoNextSibling()) {
                    if (!cursor.gotoParent()) {
                        break walk;
                    }
                    ancestors.pop();
                }
            }
            current = cursor.currentNode();
            node = copy(current, cursor.currentFieldName());
            ancestors.peek().children.add(node);
        }
        for (int i = 0; i < anonymous.size(); i++) {
            if (!anonymous.get(i).isLeaf()) {
                // An anonymous node with children prints differently as a root (no closing parenthesis); none occur
                // in the Python grammar, but ask tree-sitter itself if one does.
                anonymous.get(i).sexp = anonymousNative.get(i).toString();
            }
        }
        String sexpProblem = null;
        if (withSexp) {
            String rootSexp = maxDepth > DEEP_TREE ? onLargeStack(tsRoot::toString) : tsRoot.toString();
            sexpProblem = assignSexps(rootSexp, printed);
        }
        boolean hasError = tsRoot.hasError();
        // The native tree is freed by a cleaner once the TSTree object is unreachable; nodes hold raw pointers into
        // it, so keep it reachable until the copy is done.
        java.lang.ref.Reference.reachabilityFence(tree);
        return new Parsed(root, nodes, named, maxDepth, hasError, sexpProblem);
    }

    /**
     * Cuts each printed inner node's own S-expression out of the root's: tree-sitter prints a node exactly as the
     * group it forms inside its ancestors' strings (without the "field: " prefix), so one native call per tree
     * replaces one per node. Groups are matched to nodes in pre-order.
     */
    private static String assignSexps(String rootSexp, List<SyntaxNode> printed) {
        int[] starts = new int[printed.size()];
        int[] ends = new int[printed.size()];
        int[] open = new int[printed.size()];
        int depth = 0;
        int groups = 0;
        for (int i = 0; i < rootSexp.length(); i++) {
            char c = rootSexp.charAt(i);
            if (c == '(') {
                if (groups == printed.size()) {
                    throw new IllegalStateException("more groups than printed nodes in " + abbreviate(rootSexp));
                }
                starts[groups] = i;
                open[depth++] = groups++;
                // Quoted text that may hold parentheses: "(UNEXPECTED '(')" and "(MISSING ")")".
                if (rootSexp.startsWith("UNEXPECTED '", i + 1)) {
                    i += "UNEXPECTED ".length() + (rootSexp.charAt(i + 13) == '\\' ? 4 : 3);
                } else if (rootSexp.startsWith("MISSING \"", i + 1)) {
                    i = rootSexp.indexOf("\")", i + 10);
                }
            } else if (c == ')') {
                ends[open[--depth]] = i + 1;
            }
        }
        if (groups != printed.size() || depth != 0) {
            throw new IllegalStateException("S-expression does not match the tree: " + groups + " groups for "
                    + printed.size() + " nodes in " + abbreviate(rootSexp));
        }
        long total = 0;
        for (int k = 0; k < groups; k++) {
            if (!printed.get(k).isLeaf()) {
                total += ends[k] - starts[k];
            }
        }
        if (total > SEXP_BUDGET_CHARS) {
            return "syntax tree nested too deeply: its subtrees' S-expressions would take " + total
                    + " characters (budget " + SEXP_BUDGET_CHARS + ")";
        }
        for (int k = 0; k < groups; k++) {
            SyntaxNode n = printed.get(k);
            if (!n.isLeaf() || k == 0) {
                n.sexp = rootSexp.substring(starts[k], ends[k]);
            }
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    /** Runs {@code task} on a fresh thread with a 512 MB stack (reserved, not committed), for tree-sitter's recursion. */
    private static String onLargeStack(java.util.function.Supplier<String> task) {
        String[] result = new String[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = task.get();
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "tree-sitter-deep-tree", 512L << 20);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while printing a deep syntax tree", e);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return result[0];
    }

    private static SyntaxNode copy(TSNode n, String field) {
        var start = n.getStartPoint();
        var end = n.getEndPoint();
        return new SyntaxNode(n.getType(), n.isNamed(), n.isMissing(), n.isError(), field,
                start.getRow(), start.getColumn(), end.getRow(), end.getColumn());
    }
}
