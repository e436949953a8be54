package dev.renderloop.cli;

import dev.renderloop.agent.AgentConfig;
import dev.renderloop.agent.InstalledApiDocumentation;
import dev.renderloop.agent.Strategy;
import dev.renderloop.bench.Bench;
import dev.renderloop.bench.HtmlReport;
import dev.renderloop.bench.RunLayout;
import dev.renderloop.bench.SuiteSource;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicySpec;
import dev.renderloop.policy.Sampling;
import dev.renderloop.render.RenderEngine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop demo}: the benchmark on embedded defaults. The bundled suites that need nothing but Java
 * (svg, smiles) under the retrieval baseline and the oracle with seeded defects, strategies vanilla, ritl and
 * ritl-doc; prints the paper-style table and where the runs and reports are. With {@code --policy} (an LLM
 * endpoint) and {@code --suite} (e.g. {@code manimbench:PATH} where Manim is installed) the same command covers them.
 */
@Command(name = "demo", description = "Benchmark the bundled svg and smiles suites with the retrieval baseline and the oracle "
        + "with seeded defects (vanilla, ritl, ritl-doc); print the table and the report paths.")
final class DemoCommand implements Callable<Integer> {
    static final List<String> SUITES = List.of("svg", "smiles");
    static final List<String> POLICIES = List.of("retrieval", "oracle-defects:1");

    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/demo", description = "Where the runs go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--suite", paramLabel = "SUITE", description = "More suites (e.g. manimbench:PATH, tikz).")
    List<String> moreSuites = new ArrayList<>();

    @Option(names = "--policy", paramLabel = "SPEC", description = "More policies: openai:MODEL@BASE_URL or local:MODEL_DIR[+ADAPTER_DIR] "
            + "(repeatable).")
    List<String> morePolicies = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N tasks of each suite.")
    Integer limit;

    @Option(names = "--api-key-env", paramLabel = "VAR", description = "Environment variable holding the API key (openai policies).")
    String apiKeyEnv;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        List<String> suites = new ArrayList<>(SUITES);
        suites.addAll(moreSuites);
        List<String> policies = new ArrayList<>(POLICIES);
        policies.addAll(morePolicies);
        List<Strategy> strategies = List.of(Strategy.VANILLA, Strategy.RITL, Strategy.RITL_DOC);
        List<Object> summaries = new ArrayList<>();
        List<RunLayout> runs = new ArrayList<>();
        Map<String, InstalledApiDocumentation> docs = new HashMap<>();
        try (RenderEngine engine = engineOptions.builder().build()) {
            for (String suiteName : suites) {
                SuiteSource.Loaded suite = SuiteSource.load(suiteName, null, null, limit);
                for (String policySpec : policies) {
                    PolicySpec.parse(policySpec);
                    RunLayout layout = new RunLayout(out.resolve(RunFolderName.of(suite.name(), policySpec)));
                    boolean earlier = Files.exists(layout.database());
                    try (Policy policy = policySpec.equals("retrieval") ? Policies.retrieval(suite.tasks())
                            : Policies.create(policySpec, apiKeyEnv, 8, Duration.ofSeconds(300))) {
                        o.printf(Locale.ROOT, "%s with %s ...%n", suite.name(), policy.name());
                        o.flush();
                        Bench.Outcome outcome = Bench.builder()
                                .layout(layout)
                                .suite(suite.name(), suite.tasks())
                                .strategies(strategies)
                                .policy(policy)
                                .engine(engine)
                                .agentConfig(new AgentConfig(3, new Sampling(0.2, null, null, 2048, 0L, false), 10, 30))
                                .concurrency(Runtime.getRuntime().availableProcessors())
                                .documentation(domain -> BenchCommand.documentation(engine, domain, docs))
                                .provenance(BenchCommand.provenance(engine))
                                .build().run();
                        if (earlier && outcome.alreadyDone() > 0) {
                            // A rerun keeps the finished pairs of the last one: say so, or old results pass for new ones.
                            o.printf(Locale.ROOT, "  resuming %s: %d of %d pairs already done (delete the folder to start afresh)%n",
                                    layout.dir(), outcome.alreadyDone(), outcome.pairs());
                        }
                        summaries.add(outcome.summary());
                        runs.add(layout);
                        outcome.notApplicable().forEach((s, why) -> o.println("  " + s + ": not applicable: " + why));
                    }
                }
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            spec.commandLine().getErr().println("renderloop demo: " + e.getMessage());
            return ExitCode.USAGE;
        } finally {
            for (InstalledApiDocumentation d : docs.values()) {
                d.close();
            }
        }
        o.println();
        o.print(CompareCommand.table(summaries));
        o.println();
        for (RunLayout run : runs) {
            // Bench.run() has written each run's report as it ended; writing it here again only cost time.
            o.println("report: " + run.reportDir().resolve("index.html"));
        }
        o.println("comparison: " + HtmlReport.writeComparison(runs, out));
        return ExitCode.OK;
    }
}
