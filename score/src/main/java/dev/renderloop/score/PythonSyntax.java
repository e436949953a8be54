package dev.renderloop.score;

/**
 * Python syntax checks with an in-process tree-sitter parser (grammar tree-sitter-python 0.23.4).
 *
 * <p>tree-sitter is error-tolerant: it always returns a tree and marks what it could not parse with {@code ERROR}
 * nodes and tokens it had to invent with {@code MISSING} nodes. Code is "syntax ok" when the tree has neither. This
 * is close to, but not the same as, CPython's {@code compile()}: the grammar accepts a few things CPython rejects
 * (e.g. {@code return} outside a function, assignments to literals are caught only by CPython's later passes).
 *
 * <p>Thread-safe: every thread parses with its own parser.
 */
public final class PythonSyntax {

    /**
     * Code longer than this many characters is not parsed ({@link SyntaxCheck.Status#TOO_LARGE}). Generated programs
     * are a few kB; the cap keeps a runaway completion from costing seconds of parsing and quadratic metrics.
     */
    public static final int MAX_CODE_CHARS = 500_000;

    private PythonSyntax() {
    }

    /**
     * Parses {@code code} and reports whether it is free of syntax errors, with the tree's size.
     *
     * @param code Python source; {@code null} is treated as empty
     * @return never null; {@link SyntaxCheck.Status#EMPTY} for blank code (whitespace only), whose tree is a bare
     *         {@code module}; {@link SyntaxCheck.Status#TOO_LARGE} (node counts 0) above {@link #MAX_CODE_CHARS}
     */
    public static SyntaxCheck check(String code) {
        String c = code == null ? "" : code;
        if (c.length() > MAX_CODE_CHARS) {
            return new SyntaxCheck(SyntaxCheck.Status.TOO_LARGE, 0, 0,
                    "code has " + c.length() + " characters, more than the " + MAX_CODE_CHARS + " parsed");
        }
        TreeSitterPythonParser.Parsed parsed = TreeSitterPythonParser.parse(c, false);
        if (c.isBlank()) {
            return new SyntaxCheck(SyntaxCheck.Status.EMPTY, parsed.nodeCount(), parsed.namedNodeCount(), "empty code");
        }
        if (parsed.hasError()) {
            return new SyntaxCheck(SyntaxCheck.Status.SYNTAX_ERROR, parsed.nodeCount(), parsed.namedNodeCount(),
                    firstProblem(parsed.root()));
        }
        return new SyntaxCheck(SyntaxCheck.Status.OK, parsed.nodeCount(), parsed.namedNodeCount(), null);
    }

    /** "ERROR at line 3, column 5" or "MISSING ")" at ..." for the first problem node in document order. */
    private static String firstProblem(SyntaxNode root) {
        var stack = new java.util.ArrayDeque<SyntaxNode>();
        stack.push(root);
        while (!stack.isEmpty()) {
            SyntaxNode n = stack.pop();
            if (n.error || n.missing) {
                String what = n.error ? "syntax error" : "missing \"" + n.type + "\"";
                return what + " at line " + (n.startRow + 1) + ", byte column " + (n.startColumn + 1);
            }
            for (int i = n.children.size() - 1; i >= 0; i--) {
                stack.push(n.children.get(i));
            }
        }
        return "syntax error";
    }
}
