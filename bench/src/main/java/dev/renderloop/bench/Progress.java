package dev.renderloop.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/** The progress line: pairs done, RSR so far, ETA. Rewritten in place on a terminal, one line per update otherwise. */
final class Progress {
    private final PrintStream out;
    private final int total;
    private final int resumed;
    private final LongSupplier clock;
    private final long start;
    private final boolean terminal;
    private int done;
    private int rendered;
    private int lastDecile = -1;

    Progress(PrintStream out, int total, int resumed, LongSupplier clock) {
        this.out = out;
        this.total = total;
        this.resumed = resumed;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.terminal = System.console() != null;
        if (out != null && resumed > 0) {
            out.printf(Locale.ROOT, "resuming: %d of %d pairs already done%n", resumed, total);
        }
    }

    synchronized void done(boolean success) {
        done++;
        if (success) {
            rendered++;
        }
        if (out == null) {
            return;
        }
        double elapsed = (clock.getAsLong() - start) / 1e9;
        int left = total - resumed - done;
        long eta = Math.round(elapsed / done * left);
        int width = 30;
        int filled = (int) Math.round(width * (double) (resumed + done) / total);
        int decile = (resumed + done) * 10 / total;
        if (!terminal && decile == lastDecile && resumed + done < total) {
            return; // in a log, one line per tenth of the run
        }
        lastDecile = decile;
        out.printf(Locale.ROOT, "%s[%s%s] %d/%d pairs  RSR %.2f  ETA %dm%02ds%s", terminal ? "\r" : "", "#".repeat(filled),
                ".".repeat(width - filled), resumed + done, total, rendered / (double) done, eta / 60, eta % 60, terminal ? "" : "\n");
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
