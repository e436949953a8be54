package dev.renderloop.score;

import java.util.Objects;

/**
 * The outcome of {@link PythonSyntax#check}.
 *
 * @param status         what the parser found
 * @param nodeCount      all nodes of the tree-sitter tree (named and anonymous), 0 when not parsed
 * @param namedNodeCount named nodes only (the ones the AST distance compares), 0 when not parsed
 * @param detail         for a syntax error, where the first one is; for EMPTY/TOO_LARGE, why; null when OK
 */
public record SyntaxCheck(Status status, int nodeCount, int namedNodeCount, String detail) {

    /** What the parser found. */
    public enum Status {
        /** Parsed without ERROR or MISSING nodes. */
        OK,
        /** tree-sitter had to recover: the tree has ERROR or MISSING nodes. */
        SYNTAX_ERROR,
        /** Blank code (whitespace only): valid Python, but no program. */
        EMPTY,
        /** Longer than {@link PythonSyntax#MAX_CODE_CHARS}; not parsed. */
        TOO_LARGE
    }

    public SyntaxCheck {
        Objects.requireNonNull(status, "status");
        if (nodeCount < 0 || namedNodeCount < 0 || namedNodeCount > nodeCount) {
            throw new IllegalArgumentException("bad node counts " + nodeCount + "/" + namedNodeCount);
        }
    }

    /** Whether the code is a non-empty program without syntax errors (the {@code syntax_ok} metric is 1). */
    public boolean syntaxOk() {
        return status == Status.OK;
    }
}
