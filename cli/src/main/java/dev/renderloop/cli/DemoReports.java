package dev.renderloop.cli;

import dev.renderloop.bench.RunLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the demo's runs are summarised (replaced by the HTML reports once they exist). */
final class DemoReports {
    private DemoReports() {
    }

    static List<Path> write(List<RunLayout> runs) {
        List<Path> out = new ArrayList<>();
        for (RunLayout r : runs) {
            out.add(r.summary());
        }
        return out;
    }
}
