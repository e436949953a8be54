package dev.renderloop.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * A line diff (longest common subsequence of lines), for showing a final answer's code against the reference.
 *
 * <p>The common prefix and suffix are cut first (answers often share imports and boilerplate); the middle is
 * an O(n m) LCS table. Past {@link #MAX_CELLS} table cells the middle is shown as all-removed then all-added,
 * which is still a correct diff, and {@link Result#minimal()} says it is not a minimal one.
 */
public final class LineDiff {
    /** Table size limit: 16 M cells of 4 bytes, enough for two 4,000-line middles. */
    static final long MAX_CELLS = 16_000_000L;

    /** Which side a line is on. */
    public enum Kind { SAME, REMOVED, ADDED }

    /** One line of the diff: {@code SAME} lines are in both, {@code REMOVED} only in the old, {@code ADDED} only in the new. */
    public record Line(Kind kind, String text) {
    }

    /** The diff lines in order, and whether they form a minimal (LCS) diff. */
    public record Result(List<Line> lines, boolean minimal) {
        public int count(Kind kind) {
            return (int) lines.stream().filter(l -> l.kind() == kind).count();
        }
    }

    private LineDiff() {
    }

    /** Splits on \n, \r\n or \r; a trailing newline does not make an empty last line. */
    static List<String> lines(String text) {
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(List.of(text.split("\r\n|\r|\n", -1)));
        if (out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    public static Result diff(String oldText, String newText) {
        return diff(lines(oldText), lines(newText));
    }

    static Result diff(List<String> a, List<String> b) {
        int prefix = 0;
        while (prefix < a.size() && prefix < b.size() && a.get(prefix).equals(b.get(prefix))) {
            prefix++;
        }
        int suffix = 0;
        while (suffix < a.size() - prefix && suffix < b.size() - prefix
                && a.get(a.size() - 1 - suffix).equals(b.get(b.size() - 1 - suffix))) {
            suffix++;
        }
        List<Line> out = new ArrayList<>();
        for (int i = 0; i < prefix; i++) {
            out.add(new Line(Kind.SAME, a.get(i)));
        }
        List<String> am = a.subList(prefix, a.size() - suffix);
        List<String> bm = b.subList(prefix, b.size() - suffix);
        boolean minimal = (long) (am.size() + 1) * (bm.size() + 1) <= MAX_CELLS;
        if (minimal) {
            middle(am, bm, out);
        } else {
            am.forEach(l -> out.add(new Line(Kind.REMOVED, l)));
            bm.forEach(l -> out.add(new Line(Kind.ADDED, l)));
        }
        for (int i = a.size() - suffix; i < a.size(); i++) {
            out.add(new Line(Kind.SAME, a.get(i)));
        }
        return new Result(List.copyOf(out), minimal);
    }

    /** LCS table from the end (lcs[i][j] = LCS length of a[i..] and b[j..]), then a walk from the start. */
    private static void middle(List<String> a, List<String> b, List<Line> out) {
        int n = a.size();
        int m = b.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        int i = 0;
        int j = 0;
        while (i < n && j < m) {
            if (a.get(i).equals(b.get(j))) {
                out.add(new Line(Kind.SAME, a.get(i)));
                i++;
                j++;
            } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
                out.add(new Line(Kind.REMOVED, a.get(i++)));
            } else {
                out.add(new Line(Kind.ADDED, b.get(j++)));
            }
        }
        while (i < n) {
            out.add(new Line(Kind.REMOVED, a.get(i++)));
        }
        while (j < m) {
            out.add(new Line(Kind.ADDED, b.get(j++)));
        }
    }
}
