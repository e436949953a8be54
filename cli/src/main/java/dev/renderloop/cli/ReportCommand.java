package dev.renderloop.cli;

import dev.renderloop.bench.HtmlReport;
import dev.renderloop.bench.RunLayout;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop report RUN [RUN...] [--out DIR]}: writes each run's static HTML report
 * ({@code RUN/report/index.html}) and prints its path; with several runs (or with --out) also the page comparing
 * them, {@code comparison.html} in DIR (default: the first run's report folder). Every run folder is checked
 * before anything is written: a missing folder, summary.json or results.duckdb, or an unreadable one, is a usage
 * error (exit 2).
 */
@Command(name = "report", description = "Write the static HTML report of benchmark runs (opens from disk, no server).")
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run folders (each with results.duckdb and summary.json).")
    List<Path> runs;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write comparison.html (default: the first run's report folder).")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        List<RunLayout> layouts = new ArrayList<>();
        for (Path r : runs) {
            RunLayout run = new RunLayout(r);
            Optional<String> problem = HtmlReport.check(run);
            if (problem.isPresent()) {
                spec.commandLine().getErr().println("renderloop report: " + problem.get());
                return ExitCode.USAGE;
            }
            layouts.add(run);
        }
        for (RunLayout run : layouts) {
            o.println(HtmlReport.write(run));
        }
        if (layouts.size() > 1 || out != null) {
            o.println(HtmlReport.writeComparison(layouts, out != null ? out : layouts.get(0).reportDir()));
        }
        return ExitCode.OK;
    }
}
