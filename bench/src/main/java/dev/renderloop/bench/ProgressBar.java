package dev.renderloop.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress line of a long run (a benchmark's pairs, a dataset build's renders): a bar, items done of the total,
 * items per second, the share that succeeded, the ETA. Rewritten in place on a terminal; in a log (no console), one
 * line per tenth of the run. Items done by an earlier, interrupted run are counted as done and said once at the
 * start. Thread-safe.
 */
public final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final String unit;
    private final String successName;
    private final int total;
    private final int resumed;
    private final LongSupplier clock;
    private final long start;
    private final boolean terminal;
    private int done;
    private int succeeded;
    private int lastDecile = -1;

    /**
     * @param out         where the line goes; {@code null} for none
     * @param label       what runs (printed before the bar), or "" for nothing
     * @param unit        what is counted, plural ("pairs", "programs")
     * @param successName the name of the share that succeeded ("RSR", "rendered")
     * @param total       items in the whole run, the resumed ones included
     * @param resumed     items an earlier run did
     * @param clock       nanoseconds, for the rate and the ETA
     */
    public ProgressBar(PrintStream out, String label, String unit, String successName, int total, int resumed, LongSupplier clock) {
        this.out = out;
        this.label = label.isEmpty() ? "" : label + " ";
        this.unit = unit;
        this.successName = successName;
        this.total = total;
        this.resumed = resumed;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.terminal = System.console() != null;
        if (out != null && resumed > 0) {
            out.printf(Locale.ROOT, "%sresuming: %d of %d %s already done%n", this.label, resumed, total, unit);
        }
    }

    /** One item done; {@code note} (or {@code null}) is shown after the ETA, e.g. what the item was. */
    public synchronized void step(boolean success, String note) {
        done++;
        if (success) {
            succeeded++;
        }
        if (out == null || total == 0) {
            return;
        }
        double elapsed = Math.max(1e-9, (clock.getAsLong() - start) / 1e9);
        int left = total - resumed - done;
        long eta = Math.round(elapsed / done * left);
        int filled = (int) Math.round(WIDTH * (double) (resumed + done) / total);
        int decile = (resumed + done) * 10 / total;
        if (!terminal && decile == lastDecile && resumed + done < total) {
            return; // in a log, one line per tenth of the run
        }
        lastDecile = decile;
        out.printf(Locale.ROOT, "%s%s[%s%s] %d/%d %s  %.1f/s  %s %.2f  ETA %dm%02ds%s%s", terminal ? "\r" : "", label,
                "#".repeat(filled), ".".repeat(WIDTH - filled), resumed + done, total, unit, done / elapsed, successName,
                succeeded / (double) done, eta / 60, eta % 60, note == null ? "" : "  (" + note + ")", terminal ? "" : "\n");
        out.flush();
    }

    /** Ends the line on a terminal. */
    public synchronized void finish() {
        if (out != null) {
            if (terminal && done > 0) {
                out.println();
            }
            out.flush();
        }
    }
}
