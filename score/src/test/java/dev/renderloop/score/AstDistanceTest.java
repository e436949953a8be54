package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.score.LabelledTree.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class AstDistanceTest {

    private static int ted(Node a, Node b) {
        return LabelledTree.distance(LabelledTree.of(a), LabelledTree.of(b));
    }

    @Test
    void zhangShashaPaperExample_isTwo() {
        // Zhang & Shasha 1989, figure 2: f(d(a, c(b)), e) -> f(c(d(a, b)), e) costs 2 (delete c, insert c).
        Node t1 = new Node("f", new Node("d", new Node("a"), new Node("c", new Node("b"))), new Node("e"));
        Node t2 = new Node("f", new Node("c", new Node("d", new Node("a"), new Node("b"))), new Node("e"));
        assertEquals(2, ted(t1, t2));
        assertEquals(2, ted(t2, t1));
    }

    @Test
    void singleOperations_costOne() {
        Node base = new Node("a", new Node("b"), new Node("c"));
        assertEquals(1, ted(base, new Node("a", new Node("b"), new Node("x"))), "relabel");
        assertEquals(1, ted(base, new Node("a", new Node("b"))), "delete leaf");
        assertEquals(1, ted(base, new Node("a", new Node("b"), new Node("c"), new Node("d"))), "insert leaf");
        assertEquals(1, ted(base, new Node("a", new Node("m", new Node("b"), new Node("c")))), "insert inner node");
        assertEquals(3, ted(base, new Node("z")), "two deletions and a relabel");
        // more edits than the larger tree has nodes: the normalised distance is not capped at 1
        assertEquals(4, ted(new Node("a", new Node("b", new Node("c"))), new Node("x", new Node("y"), new Node("z"))));
    }

    static Stream<Long> seeds() {
        return Stream.iterate(1L, s -> s + 1).limit(60);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void randomSmallTrees_matchBruteForce_andAreSymmetric(long seed) {
        Random rnd = new Random(seed);
        Node a = randomTree(rnd, 1 + rnd.nextInt(7));
        Node b = randomTree(rnd, 1 + rnd.nextInt(7));
        int expected = new BruteForce().forest(List.of(a), List.of(b));
        assertEquals(expected, ted(a, b), "seed " + seed + ": " + a + " vs " + b);
        assertEquals(ted(a, b), ted(b, a), "symmetry, seed " + seed);
        assertEquals(0, ted(a, a), "identity, seed " + seed);
    }

    /** A random ordered tree of {@code size} nodes with labels from a 3-letter alphabet (so relabels and matches mix). */
    private static Node randomTree(Random rnd, int size) {
        List<String> labels = new ArrayList<>();
        List<List<Integer>> children = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            labels.add(String.valueOf((char) ('a' + rnd.nextInt(3))));
            children.add(new ArrayList<>());
            if (i > 0) {
                children.get(rnd.nextInt(i)).add(i);
            }
        }
        return build(0, labels, children);
    }

    private static Node build(int i, List<String> labels, List<List<Integer>> children) {
        List<Node> kids = new ArrayList<>();
        for (int c : children.get(i)) {
            kids.add(build(c, labels, children));
        }
        return new Node(labels.get(i), kids);
    }

    /** The textbook recursion on ordered forests (rightmost roots), memoised; exponential-free for tiny trees. */
    private static final class BruteForce {
        private final Map<String, Integer> memo = new HashMap<>();

        int forest(List<Node> f, List<Node> g) {
            if (f.isEmpty() && g.isEmpty()) {
                return 0;
            }
            if (f.isEmpty()) {
                return size(g);
            }
            if (g.isEmpty()) {
                return size(f);
            }
            String key = f + "|" + g;
            Integer known = memo.get(key);
            if (known != null) {
                return known;
            }
            Node v = f.get(f.size() - 1);
            Node w = g.get(g.size() - 1);
            List<Node> fMinusV = new ArrayList<>(f.subList(0, f.size() - 1));
            fMinusV.addAll(v.children());
            List<Node> gMinusW = new ArrayList<>(g.subList(0, g.size() - 1));
            gMinusW.addAll(w.children());
            int delete = forest(fMinusV, g) + 1;
            int insert = forest(f, gMinusW) + 1;
            int match = forest(v.children(), w.children()) + forest(f.subList(0, f.size() - 1), g.subList(0, g.size() - 1))
                    + (v.label().equals(w.label()) ? 0 : 1);
            int best = Math.min(delete, Math.min(insert, match));
            memo.put(key, best);
            return best;
        }

        private static int size(List<Node> forest) {
            int n = 0;
            for (Node x : forest) {
                n += 1 + size(x.children());
            }
            return n;
        }
    }

    @Test
    void renamedVariables_haveDistanceZero_becauseLabelsAreNodeTypes() {
        AstDistance d = AstDistance.between("x = 1\nprint(x + 2)\n", "value = 7\nprint(value + 3)\n");
        assertTrue(d.available());
        assertEquals(0, d.edits());
        assertEquals(0.0, d.metric().value());
    }

    @Test
    void identicalCode_isZero_andCommentsDoNotCount() {
        String code = "def f(a):\n    return a * 2\n";
        assertEquals(0.0, AstDistance.between(code, code).normalised());
        assertEquals(0.0, AstDistance.between(code, "# doubles\n" + code + "  # end\n").normalised());
    }

    @Test
    void differentPrograms_areNormalisedByTheLargerTree() {
        AstDistance d = AstDistance.between("x = 1\n", "for i in range(3):\n    print(i)\n");
        assertTrue(d.edits() > 0);
        assertEquals((double) d.edits() / Math.max(d.referenceNodes(), d.candidateNodes()), d.normalised());
        assertEquals(d.edits(), AstDistance.between("for i in range(3):\n    print(i)\n", "x = 1\n").edits());
    }

    @Test
    void emptyAgainstEmpty_isZero_andEmptyAgainstCode_isBelowOne() {
        assertEquals(0.0, AstDistance.between("", "  \n").normalised());
        AstDistance d = AstDistance.between("x = 1\n", "");
        // only the module root survives: every other node of the reference is deleted
        assertEquals(d.referenceNodes() - 1, d.edits());
        assertEquals(1, d.candidateNodes());
    }

    @Test
    void tooLargeCode_isUnavailable_withAReason() {
        String huge = "x = 1\n".repeat(PythonSyntax.MAX_CODE_CHARS / 6 + 1);
        AstDistance d = AstDistance.between(huge, "x = 1\n");
        assertFalse(d.available());
        assertFalse(d.metric().available());
        assertTrue(d.unavailable().contains("longer than"));
    }

    @Test
    void treesOverTheNodePairBudget_areUnavailable() {
        String big = "x = 1\n".repeat(2_000); // ~8,000 named nodes: 64M pairs
        AstDistance d = AstDistance.between(big, big);
        assertFalse(d.available(), d.toString());
        assertTrue(d.unavailable().contains("node-pair budget"));
        assertTrue(Double.isNaN(d.normalised()));
    }
}
