package dev.renderloop.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code renderloop train report RUN [--out FILE]}: draws a training run's curves ({@code RUN/metrics.jsonl}, as
 * {@code renderloop train sft|grpo} writes it) into one static HTML page with inline SVG charts (no script, no
 * network), {@code RUN/report.html} unless {@code --out} says otherwise, and prints its path.
 *
 * <p>Bad input: a missing run folder, a missing or unreadable metrics.jsonl, or one with no readable step, is a
 * usage error (exit 2) with a message that says which; lines that cannot be read (a line cut short by a killed
 * run, a corrupt one) are skipped with a warning on stderr naming the line, and the page lists them too.
 * A standalone command class: registered as the {@code report} subcommand of {@code train}.
 */
@Command(name = "report", description = "Draw a training run's curves (RUN/metrics.jsonl) into a static HTML page.")
final class TrainReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run folder (the --out of renderloop train), holding metrics.jsonl.")
    Path run;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the page (default: RUN/report.html).")
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isDirectory(run)) {
            err.println("renderloop train report: no run folder " + run + (Files.exists(run) ? " (it is not a folder)" : ""));
            return ExitCode.USAGE;
        }
        Path metrics = run.resolve("metrics.jsonl");
        if (!Files.isRegularFile(metrics)) {
            err.println("renderloop train report: " + run + " has no metrics.jsonl (a run folder written by renderloop train sft|grpo)");
            return ExitCode.USAGE;
        }
        TrainReport.Metrics m;
        try {
            m = TrainReport.read(metrics);
        } catch (IllegalArgumentException e) {
            err.println("renderloop train report: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            err.println("renderloop train report: cannot read " + metrics + ": " + e.getMessage());
            return ExitCode.USAGE;
        }
        for (String w : m.warnings()) {
            err.println("renderloop train report: warning: " + metrics + " " + w);
        }
        Path page = out != null ? out : run.resolve("report.html");
        Path name = run.toAbsolutePath().normalize().getFileName();
        String html = TrainReport.html(name == null ? run.toString() : name.toString(), m);
        try {
            if (page.toAbsolutePath().getParent() != null) {
                Files.createDirectories(page.toAbsolutePath().getParent());
            }
            Files.writeString(page, html, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("renderloop train report: cannot write " + page + ": " + e.getMessage());
            return ExitCode.USAGE;
        }
        spec.commandLine().getOut().println(page);
        return ExitCode.OK;
    }
}
