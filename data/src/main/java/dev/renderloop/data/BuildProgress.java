package dev.renderloop.data;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/** A stage's progress bar: programs done, renders per second, ETA. In place on a terminal, one line per tenth in a log. */
final class BuildProgress {
    private final PrintStream out;
    private final String stage;
    private final int total;
    private final int resumed;
    private final LongSupplier clock;
    private final long start;
    private final boolean terminal;
    private int done;
    private int lastDecile = -1;

    BuildProgress(PrintStream out, String stage, int total, int resumed, LongSupplier clock) {
        this.out = out;
        this.stage = stage;
        this.total = total;
        this.resumed = resumed;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.terminal = System.console() != null;
        if (out != null && resumed > 0) {
            out.printf(Locale.ROOT, "%s: resuming, %d of %d programs already done%n", stage, resumed, total);
        }
    }

    synchronized void done(String last) {
        done++;
        if (out == null || total == 0) {
            return;
        }
        double elapsed = Math.max(1e-9, (clock.getAsLong() - start) / 1e9);
        int left = total - resumed - done;
        long eta = Math.round(elapsed / done * left);
        int width = 30;
        int filled = (int) Math.round(width * (double) (resumed + done) / total);
        int decile = (resumed + done) * 10 / total;
        if (!terminal && decile == lastDecile && resumed + done < total) {
            return;
        }
        lastDecile = decile;
        out.printf(Locale.ROOT, "%s%s [%s%s] %d/%d programs  %.1f/s  ETA %dm%02ds  (last: %s)%s", terminal ? "\r" : "", stage,
                "#".repeat(filled), ".".repeat(width - filled), resumed + done, total, done / elapsed, eta / 60, eta % 60, last,
                terminal ? "" : "\n");
        out.flush();
    }

    synchronized void finish() {
        if (out != null) {
            if (terminal && done > 0) {
                out.println();
            }
            out.flush();
        }
    }
}
