package dev.renderloop.data;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/** The build report as the command prints it: counts per domain, why programs and defects were dropped, the defect histogram. */
public final class ReportText {
    private ReportText() {
    }

    public static void print(PrintWriter o, BuildReport r) {
        o.printf(Locale.ROOT, "%-10s %8s %8s %6s %9s %10s %8s%n", "domain", "programs", "rendered", "kept", "text2code", "image2code", "optimise");
        r.domains().forEach((d, c) -> o.printf(Locale.ROOT, "%-10s %8d %8d %6d %9d %10d %8d%n", d, c.programs(), c.rendered(), c.kept(),
                c.textToCode(), c.imageToCode(), c.optimisation()));
        o.println("programs dropped: " + (r.referenceRejections().isEmpty() ? "none" : r.referenceRejections()));
        o.println("defects           kind                 tried  kept:error  kept:visible  rejected");
        r.defectKinds().forEach((d, kinds) -> kinds.forEach((k, c) -> o.printf(Locale.ROOT, "  %-15s %-20s %5d %11d %13d %9d%n", d, k,
                c.tried(), c.keptError(), c.keptVisible(), c.rejected())));
        o.println("defects rejected: " + (r.defectRejections().isEmpty() ? "none" : r.defectRejections()));
        for (Map.Entry<String, String> e : r.apiNames().entrySet()) {
            o.println("api names (" + e.getKey() + "): " + e.getValue());
        }
        o.printf(Locale.ROOT, "%d pairs, %d renders in %.1f s: %.2f pairs/s%n", r.pairs(), r.rendersNow(), r.wallMillis() / 1000.0,
                r.pairsPerSecond());
        o.println("dataset: " + r.out() + " (README.md, samples.html, report.json)");
        o.flush();
    }
}
