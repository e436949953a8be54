package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The line diff: it rebuilds both sides, and it is minimal (its common lines are a longest common subsequence). */
class LineDiffTest {

    @Test
    void diff_smallExample_marksChangedLine() {
        LineDiff.Result d = LineDiff.diff("a\nb\nc\n", "a\nx\nc\n");
        assertEquals(List.of(new LineDiff.Line(LineDiff.Kind.SAME, "a"), new LineDiff.Line(LineDiff.Kind.REMOVED, "b"),
                new LineDiff.Line(LineDiff.Kind.ADDED, "x"), new LineDiff.Line(LineDiff.Kind.SAME, "c")), d.lines());
        assertTrue(d.minimal());
    }

    @Test
    void diff_emptySides_areAllAddedOrAllRemoved() {
        assertEquals(2, LineDiff.diff("", "p\nq").count(LineDiff.Kind.ADDED));
        assertEquals(2, LineDiff.diff("p\r\nq\r\n", null).count(LineDiff.Kind.REMOVED));
        assertTrue(LineDiff.diff("", "").lines().isEmpty());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void diff_randomLines_rebuildsBothSidesWithLcsManyCommonLines(long seed) {
        Random rnd = new Random(seed);
        List<String> a = randomLines(rnd, rnd.nextInt(30));
        List<String> b = randomLines(rnd, rnd.nextInt(30));
        LineDiff.Result d = LineDiff.diff(a, b);
        List<String> oldSide = new ArrayList<>();
        List<String> newSide = new ArrayList<>();
        for (LineDiff.Line l : d.lines()) {
            if (l.kind() != LineDiff.Kind.ADDED) {
                oldSide.add(l.text());
            }
            if (l.kind() != LineDiff.Kind.REMOVED) {
                newSide.add(l.text());
            }
        }
        assertEquals(a, oldSide);
        assertEquals(b, newSide);
        assertEquals(lcsLength(a, b, 0, 0, new Integer[a.size() + 1][b.size() + 1]), d.count(LineDiff.Kind.SAME), a + " / " + b);
    }

    @Test
    void diff_pastTableLimit_isCorrectButNotMinimal() {
        int n = (int) Math.sqrt(LineDiff.MAX_CELLS) + 10;
        Random rnd = new Random(99);
        List<String> a = randomLines(rnd, n);
        List<String> b = new ArrayList<>(randomLines(rnd, n));
        b.set(0, "different first line");
        b.set(n - 1, "different last line");
        LineDiff.Result d = LineDiff.diff(a, b);
        assertFalse(d.minimal());
        assertEquals(n, d.count(LineDiff.Kind.REMOVED));
        assertEquals(n, d.count(LineDiff.Kind.ADDED));
    }

    /** Few distinct lines, so that the two sides share many. */
    private static List<String> randomLines(Random rnd, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("line " + rnd.nextInt(5));
        }
        return out;
    }

    /** LCS length by memoised recursion, independent of the diff's bottom-up table. */
    private static int lcsLength(List<String> a, List<String> b, int i, int j, Integer[][] memo) {
        if (i == a.size() || j == b.size()) {
            return 0;
        }
        if (memo[i][j] == null) {
            memo[i][j] = a.get(i).equals(b.get(j)) ? 1 + lcsLength(a, b, i + 1, j + 1, memo)
                    : Math.max(lcsLength(a, b, i + 1, j, memo), lcsLength(a, b, i, j + 1, memo));
        }
        return memo[i][j];
    }
}
