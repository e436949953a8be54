package dev.renderloop.score;

import java.util.ArrayList;
import java.util.List;

/**
 * AST distance between two Python programs: the Zhang-Shasha tree edit distance (unit costs for insert, delete and
 * relabel) between their syntax trees, divided by the node count of the larger tree. 0 means the same tree shape and
 * node kinds. It is usually below 1 but is not capped: two very different trees can need more edits than the larger
 * one has nodes (at most n1 + n2 - 1), as the published definition allows.
 *
 * <h2>Which tree</h2>
 * The paper compares Python {@code ast} trees. We compare tree-sitter trees (tree-sitter-python 0.23.4), which work
 * for code with syntax errors too: the <b>named</b> nodes, each labelled by its node type ({@code call},
 * {@code identifier}, {@code assignment}, ...), without {@code comment} nodes. Anonymous tokens (keywords,
 * punctuation) are left out, and identifier and literal <em>values</em> are not part of labels, as {@code ast} node
 * class names do not carry them either. The two trees differ in granularity (tree-sitter has {@code block},
 * {@code expression_statement}, {@code argument_list}, string parts; {@code ast} has {@code Load}/{@code Store}
 * contexts and folds some of those away), so values track but do not equal the paper's. Code with syntax errors keeps
 * tree-sitter's {@code ERROR} nodes (label {@code ERROR}); the syntax-error flag is reported separately.
 *
 * <p>Cost: time O(n1 n2 min(depth, leaves)^2), memory about 8 n1 n2 bytes. Pairs above {@link #MAX_NODE_PRODUCT} are
 * not computed (the result says why). Thread-safe.
 *
 * @param edits          the tree edit distance, or -1 when not computed
 * @param referenceNodes nodes of the reference tree
 * @param candidateNodes nodes of the candidate tree
 * @param unavailable    why it was not computed, or null
 */
public record AstDistance(int edits, int referenceNodes, int candidateNodes, String unavailable) {

    /** Largest product of the two trees' node counts computed (two int tables of this many cells: ~72 MB). */
    public static final long MAX_NODE_PRODUCT = 9_000_000L;

    /**
     * The AST distance between two programs.
     *
     * @param reference reference code; {@code null} is empty
     * @param candidate candidate code; {@code null} is empty
     */
    public static AstDistance between(String reference, String candidate) {
        String a = reference == null ? "" : reference;
        String b = candidate == null ? "" : candidate;
        if (a.length() > PythonSyntax.MAX_CODE_CHARS || b.length() > PythonSyntax.MAX_CODE_CHARS) {
            return new AstDistance(-1, 0, 0, "code longer than " + PythonSyntax.MAX_CODE_CHARS + " characters");
        }
        LabelledTree ta = LabelledTree.of(namedTree(TreeSitterPythonParser.parse(a, false).root()));
        LabelledTree tb = LabelledTree.of(namedTree(TreeSitterPythonParser.parse(b, false).root()));
        if ((long) ta.size() * tb.size() > MAX_NODE_PRODUCT) {
            return new AstDistance(-1, ta.size(), tb.size(), "trees of " + ta.size() + " and " + tb.size()
                    + " nodes exceed the " + MAX_NODE_PRODUCT + " node-pair budget of the exact tree edit distance");
        }
        return new AstDistance(LabelledTree.distance(ta, tb), ta.size(), tb.size(), null);
    }

    /** Whether the distance was computed. */
    public boolean available() {
        return unavailable == null;
    }

    /** The edit distance over the larger tree's node count; NaN when not computed. */
    public double normalised() {
        return available() ? (double) edits / Math.max(referenceNodes, candidateNodes) : Double.NaN;
    }

    /** The {@code ast_distance} metric (normalised), or unavailable with the reason. */
    public Metric metric() {
        return available() ? Metric.of("ast_distance", normalised()) : Metric.unavailable("ast_distance", unavailable);
    }

    /** The named, non-comment nodes of a tree-sitter tree, labelled by type; iterative for deep trees. */
    static LabelledTree.Node namedTree(SyntaxNode root) {
        record Work(SyntaxNode source, List<LabelledTree.Node> into) {
        }
        List<LabelledTree.Node> rootChildren = new ArrayList<>();
        LabelledTree.Node out = new LabelledTree.Node(root.type, rootChildren);
        var stack = new java.util.ArrayDeque<Work>();
        stack.push(new Work(root, rootChildren));
        while (!stack.isEmpty()) {
            Work w = stack.pop();
            // Anonymous nodes with children (rare) are replaced in place by their children, so that their named
            // descendants attach to the nearest named ancestor, in order.
            List<SyntaxNode> children = new ArrayList<>(w.source.children);
            for (int i = 0; i < children.size(); i++) {
                SyntaxNode c = children.get(i);
                if (c.type.equals("comment")) {
                    continue;
                }
                if (c.named) {
                    List<LabelledTree.Node> grandChildren = new ArrayList<>();
                    w.into.add(new LabelledTree.Node(c.type, grandChildren));
                    stack.push(new Work(c, grandChildren));
                } else {
                    children.addAll(i + 1, c.children);
                }
            }
        }
        return out;
    }
}
