package dev.renderloop.score;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import org.treesitter.TSInputEncoding;
import org.treesitter.TSNode;
import org.treesitter.TSParser;
import org.treesitter.TSTree;
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

    /** A parsed tree with its size, depth and whether tree-sitter found ERROR or MISSING nodes. */
    record Parsed(SyntaxNode root, int nodeCount, int namedNodeCount, int depth, boolean hasError) {
    }

    /**
     * Parses {@code code}.
     *
     * @param withSexp also record each inner node's S-expression (only CodeBLEU's syntax match needs them; they cost
     *                 a native call and a string per inner node)
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
        SyntaxNode root = copy(tsRoot, null);
        int nodes = 1;
        int named = root.named ? 1 : 0;
        int maxDepth = 1;
        // Iterative copy: deep expressions must not overflow the Java stack.
        record Pending(TSNode ts, SyntaxNode copy, int depth) {
        }
        Deque<Pending> stack = new ArrayDeque<>();
        stack.push(new Pending(tsRoot, root, 1));
        while (!stack.isEmpty()) {
            Pending p = stack.pop();
            int count = p.ts.getChildCount();
            if (count > 0 && withSexp) {
                p.copy.sexp = p.ts.toString();
            }
            for (int i = 0; i < count; i++) {
                TSNode child = p.ts.getChild(i);
                SyntaxNode c = copy(child, p.ts.getFieldNameForChild(i));
                p.copy.children.add(c);
                nodes++;
                if (c.named) {
                    named++;
                }
                maxDepth = Math.max(maxDepth, p.depth + 1);
                stack.push(new Pending(child, c, p.depth + 1));
            }
        }
        return new Parsed(root, nodes, named, maxDepth, tsRoot.hasError());
    }

    private static SyntaxNode copy(TSNode n, String field) {
        var start = n.getStartPoint();
        var end = n.getEndPoint();
        return new SyntaxNode(n.getType(), n.isNamed(), n.isMissing(), n.isError(), field,
                start.getRow(), start.getColumn(), end.getRow(), end.getColumn());
    }
}
