package dev.renderloop.score;

import java.util.ArrayList;
import java.util.List;

/**
 * A Java copy of one tree-sitter node, so that the code metrics walk plain objects instead of making a JNI call per
 * node visit. Children are the node's visible children (named and anonymous), as {@code Node.children} lists them in
 * py-tree-sitter, which the CodeBLEU reference code walks.
 *
 * <p>Points are (row, column) with the column in UTF-8 bytes, as tree-sitter reports them.
 */
final class SyntaxNode {

    final String type;
    final boolean named;
    final boolean missing;
    final boolean error;
    /** The field this node fills in its parent ({@code name}, {@code left}, ...), or null. */
    final String field;
    final int startRow;
    final int startColumn;
    final int endRow;
    final int endColumn;
    /**
     * The S-expression tree-sitter prints for this node ({@code str(node)} in py-tree-sitter), filled in only for nodes
     * with children and only when asked for; null otherwise.
     */
    String sexp;
    final List<SyntaxNode> children = new ArrayList<>(2);

    SyntaxNode(String type, boolean named, boolean missing, boolean error, String field,
               int startRow, int startColumn, int endRow, int endColumn) {
        this.type = type;
        this.named = named;
        this.missing = missing;
        this.error = error;
        this.field = field;
        this.startRow = startRow;
        this.startColumn = startColumn;
        this.endRow = endRow;
        this.endColumn = endColumn;
    }

    boolean isLeaf() {
        return children.isEmpty();
    }

    /** The first child filling {@code fieldName}, or null (tree-sitter's {@code child_by_field_name}). */
    SyntaxNode child(String fieldName) {
        for (SyntaxNode c : children) {
            if (fieldName.equals(c.field)) {
                return c;
            }
        }
        return null;
    }

    /** Key of the (start, end) point pair, as CodeBLEU's {@code index_to_code} dictionary uses it. */
    PointRange range() {
        return new PointRange(startRow, startColumn, endRow, endColumn);
    }

    record PointRange(int startRow, int startColumn, int endRow, int endColumn) {
    }

    @Override
    public String toString() {
        return type + "@" + startRow + ":" + startColumn;
    }
}
