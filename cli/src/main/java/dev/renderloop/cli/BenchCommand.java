package dev.renderloop.cli;

import dev.renderloop.agent.ApiDocumentation;
import dev.renderloop.agent.InstalledApiDocumentation;
import dev.renderloop.agent.Strategy;
import dev.renderloop.bench.Bench;
import dev.renderloop.bench.BenchStoppedException;
import dev.renderloop.bench.RunLayout;
import dev.renderloop.bench.SuiteSource;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicySpec;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.task.Suites;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code renderloop bench}: a suite x strategies through one policy, resumable. */
@Command(name = "bench", description = "Run every task of a suite under each strategy with one policy; results go to "
        + "RUN/results.duckdb as they complete and RUN/summary.json at the end. The same command again resumes.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--suite", required = true, description = "svg, smiles, rdkit, html, tikz (bundled), manimbench:PATH "
            + "(the JSONL or parquet), or a JSONL suite file.")
    String suite;

    @Option(names = "--policy", required = true, paramLabel = "SPEC", description = "openai:MODEL@BASE_URL (an OpenAI-compatible server), local:MODEL_DIR[+ADAPTER_DIR] (the in-process model), "
            + "retrieval, oracle or oracle-defects:SEED.")
    String policySpec;

    @Option(names = "--strategy", defaultValue = "vanilla,ritl,ritl-doc", description = "Comma-separated strategies: vanilla, ritl, ritl-doc, ritl-vis "
            + "(ritl-vis needs --critic) (default: ${DEFAULT-VALUE}).")
    String strategies;


    @Option(names = "--limit", paramLabel = "N", description = "Only the first N tasks (after filters).")
    Integer limit;

    @Option(names = "--split", description = "ManimBench split filter (e.g. train).")
    String split;

    @Option(names = "--level", description = "Level filter (e.g. Basic).")
    String level;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/SUITE-POLICY, e.g. "
            + "runs/manimbench-train-oracle-defects_1).")
    Path out;

    @Option(names = "--concurrency", paramLabel = "N", description = "Pairs at once (default: the render workers).")
    Integer concurrency;

    @Option(names = "--corpus", paramLabel = "JSONL", description = "Training tasks for the retrieval baseline (default: the suite itself, "
            + "each task excluded from its own retrieval).")
    Path corpus;






    @Option(names = "--quiet", description = "No progress line.")
    boolean quiet;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AgentOptions agentOptions;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outWriter = spec.commandLine().getOut();
        SuiteSource.Loaded loaded;
        List<Strategy> chosen;
        try {
            chosen = Strategy.parseList(strategies);
            PolicySpec.parse(policySpec);
            loaded = SuiteSource.load(suite, split, level, limit);
        } catch (IllegalArgumentException e) {
            err.println("renderloop bench: " + e.getMessage());
            return ExitCode.USAGE;
        }
        Path dir = out != null ? out : Path.of("runs", RunFolderName.of(loaded.name(), policySpec));
        Map<String, InstalledApiDocumentation> docs = new HashMap<>();
        try (ModelOptions.Models models = modelOptions.open();
             RenderEngine engine = engineOptions.builder().build();
             Policy policy = policy(policySpec, loaded);
             Policy critic = agentOptions.criticSpec == null ? null : policy(agentOptions.criticSpec, loaded)) {
            Bench.Builder bench = Bench.builder()
                    .layout(new RunLayout(dir))
                    .suite(loaded.name(), loaded.tasks())
                    .strategies(chosen)
                    .policy(policy)
                    .critic(critic)
                    .engine(engine)
                    .agentConfig(agentOptions.config())
                    .models(models.clip(), models.dino(), models.codebert())
                    .concurrency(concurrency != null ? concurrency : engineOptions.workers != null ? engineOptions.workers
                            : Runtime.getRuntime().availableProcessors())
                    .documentation(domain -> documentation(engine, domain, docs))
                    .progress(quiet ? null : new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true))
                    .provenance(provenance(engine));
            Bench.Outcome outcome = bench.build().run();
            outWriter.printf(Locale.ROOT, "%s: %d pairs (%d already done, %d run now) in %.1f s%n", dir, outcome.pairs(),
                    outcome.alreadyDone(), outcome.ran(), outcome.wallMillis() / 1000.0);
            outcome.notApplicable().forEach((s, why) -> outWriter.println("  " + s + ": not applicable: " + why));
            outWriter.print(CompareCommand.table(List.of(outcome.summary())));
            outWriter.println("summary: " + new RunLayout(dir).summary());
            outWriter.println("report: " + new RunLayout(dir).reportDir().resolve("index.html"));
            if (outcome.deferred() > 0) {
                // Pairs the environment failed have no result yet: the run is not complete, and says so.
                err.println("renderloop bench: " + outcome.deferred() + " pair(s) got no answer for a reason of the environment, "
                        + "not the model's, and were not recorded (last: " + outcome.deferredWhy() + "); run the same command "
                        + "again to run them");
                return ExitCode.INTERNAL;
            }
            return ExitCode.OK;
        } catch (BenchStoppedException e) {
            err.println("renderloop bench: " + e.getMessage());
            return e.reason() == BenchStoppedException.Reason.POLICY_UNAVAILABLE ? ExitCode.INTERNAL : ExitCode.UNAVAILABLE;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("renderloop bench: " + e.getMessage());
            return ExitCode.USAGE;
        } finally {
            for (InstalledApiDocumentation d : docs.values()) {
                d.close();
            }
        }
    }

    private Policy policy(String specText, SuiteSource.Loaded loaded) throws IOException {
        PolicySpec s = PolicySpec.parse(specText);
        if (s.kind() == PolicySpec.Kind.RETRIEVAL) {
            return Policies.retrieval(corpus != null ? Suites.readJsonl(corpus, null).tasks() : loaded.tasks());
        }
        return Policies.create(specText, agentOptions.apiKeyEnv, 8, agentOptions.timeout());
    }

    /** RITL-DOC documentation for the Python domains, from the workers' installed package; null elsewhere or when absent. */
    static ApiDocumentation documentation(RenderEngine engine, String domain, Map<String, InstalledApiDocumentation> cache) {
        if (!List.of("manim", "matplotlib", "rdkit").contains(domain) || !engine.availability(domain).available()) {
            return null;
        }
        synchronized (cache) {
            return cache.computeIfAbsent(domain, d -> {
                try {
                    return new InstalledApiDocumentation(engine.installedApi(d),
                            Path.of(System.getProperty("user.home"), ".cache", "renderloop", "apidoc"));
                } catch (IOException | IllegalStateException e) {
                    return null;
                }
            });
        }
    }

    static Map<String, Object> provenance(RenderEngine engine) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("renderloop", RenderLoopCommand.class.getPackage().getImplementationVersion());
        p.put("commit", System.getProperty("renderloop.commit", "unknown (not started through ./renderloop in a git checkout)"));
        p.put("java", Runtime.version().toString());
        p.put("sandbox", engine.sandboxDescription());
        p.put("started", Instant.now().toString());
        return p;
    }
}
