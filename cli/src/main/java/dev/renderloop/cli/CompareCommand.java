package dev.renderloop.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.bench.RunLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code renderloop compare RUN...}: the paper-style table across runs (policies x strategies). */
@Command(name = "compare", description = "Print the table of several runs: one row per run and strategy.")
final class CompareCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> COLUMNS = List.of("rsr", "rsr_nonblank", "vs_paper", "vs_corrected", "vs_paper_ssim", "vs_corrected_ssim",
            "ssim", "tiled", "codebleu", "cbb", "ast_distance", "mean_rounds");
    /** Shown even when no run has them, so that the paper's headline columns never silently disappear. */
    private static final List<String> ALWAYS = List.of("rsr", "rsr_nonblank", "vs_paper", "vs_corrected", "codebleu", "cbb", "mean_rounds");

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run folders (each with a summary.json).")
    List<Path> runs;

    @Override
    public Integer call() {
        List<Object> summaries = new ArrayList<>();
        for (Path run : runs) {
            Path file = new RunLayout(run).summary();
            if (!Files.isRegularFile(file)) {
                spec.commandLine().getErr().println("renderloop compare: no summary.json in " + run + " (is it a run folder, and did the run finish?)");
                return ExitCode.USAGE;
            }
            try {
                summaries.add(JSON.readValue(file.toFile(), Map.class));
            } catch (IOException e) {
                spec.commandLine().getErr().println("renderloop compare: unreadable " + file + ": " + e.getMessage());
                return ExitCode.USAGE;
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(table(summaries));
        out.flush();
        return ExitCode.OK;
    }

    /** The table of summaries (maps as in summary.json): mean [95 % CI] per metric, n/a where unavailable. */
    static String table(List<?> summaries) {
        List<JsonNode> nodes = summaries.stream().<JsonNode>map(JSON::valueToTree).toList();
        List<String> columns = COLUMNS.stream().filter(c -> ALWAYS.contains(c) || nodes.stream().anyMatch(s -> {
            for (JsonNode strategy : s.path("metrics")) {
                if (strategy.path("all").path(c).isObject()) {
                    return true;
                }
            }
            return false;
        })).toList();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-34s %-9s %4s", "policy / suite", "strategy", "n"));
        for (String c : columns) {
            b.append(String.format(Locale.ROOT, "  %-20s", c));
        }
        b.append('\n');
        for (JsonNode s : nodes) {
            String who = s.path("policy").asText() + (s.path("baseline").asBoolean() ? " (baseline)" : "");
            s.path("metrics").properties().forEach(e -> {
                JsonNode all = e.getValue().path("all");
                b.append(String.format(Locale.ROOT, "%-34s %-9s %4d", cut(who + " " + s.path("suite").asText(), 34), e.getKey(),
                        all.path("n").asInt()));
                for (String c : columns) {
                    JsonNode stat = all.path(c);
                    String cell = stat.isMissingNode() || stat.isNull() ? "n/a"
                            : String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", stat.path("mean").asDouble(),
                            stat.path("ci95").path(0).asDouble(), stat.path("ci95").path(1).asDouble());
                    b.append(String.format(Locale.ROOT, "  %-20s", cell));
                }
                b.append('\n');
            });
        }
        for (JsonNode s : nodes) {
            // Visual metrics compare with the reference's render: say how many tasks they leave out and why.
            JsonNode left = s.path("left_out");
            if (left.path("n").asInt(0) > 0) {
                b.append(String.format(Locale.ROOT, "%s: visual metrics over %d of %d tasks; left out, reference did not render:",
                        s.path("suite").asText(), left.path("of").asInt() - left.path("n").asInt(), left.path("of").asInt()));
                java.util.Map<String, Integer> reasons = new java.util.TreeMap<>();
                left.path("tasks").properties().forEach(e -> reasons.merge(lastLine(e.getValue().asText()), 1, Integer::sum));
                reasons.forEach((why, n) -> b.append(String.format(Locale.ROOT, " %d x %s;", n, why)));
                b.setLength(b.length() - 1);
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static String lastLine(String text) {
        return text.lines().filter(l -> !l.isBlank()).reduce((a, z) -> z).orElse(text).strip();
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
