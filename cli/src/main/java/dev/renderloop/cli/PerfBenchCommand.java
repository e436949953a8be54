package dev.renderloop.cli;

import dev.renderloop.agent.AgentConfig;
import dev.renderloop.agent.Strategy;
import dev.renderloop.bench.Bench;
import dev.renderloop.bench.RunLayout;
import dev.renderloop.bench.SuiteSource;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.Sampling;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.task.Task;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop perf bench}: wall time of a 100-task run at render concurrency 1 and 2, and how much of it is the
 * harness itself (storage, frame copies, bookkeeping) rather than rendering, scoring or the policy.
 */
@Command(name = "bench", description = "Benchmark harness: wall time of a 100-task run at concurrency 1 vs 2 and the "
        + "harness's own share of it.")
final class PerfBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--suite", defaultValue = "rdkit", description = "Bundled suite cycled to --tasks tasks (default: ${DEFAULT-VALUE}).")
    String suite;

    @Option(names = "--tasks", defaultValue = "100", description = "Tasks in the run (default: ${DEFAULT-VALUE}).")
    int tasks;

    @Option(names = "--policy", defaultValue = "oracle", description = "Policy (default: ${DEFAULT-VALUE}: one clean answer per task).")
    String policySpec;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        List<Task> base;
        try {
            base = SuiteSource.load(suite, null, null, null).tasks();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("renderloop perf bench: " + e.getMessage());
            return ExitCode.USAGE;
        }
        // Cycled copies get their own ids; with the cache off every copy renders for real.
        List<Task> suiteTasks = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            Task t = base.get(i % base.size());
            suiteTasks.add(new Task(String.format(Locale.ROOT, "%s~%03d", t.id(), i), t.domain(), t.description(), t.code(), t.target(), t.level()));
        }
        out.printf(Locale.ROOT, "perf bench: %d tasks (%s cycled), policy %s, strategy vanilla, render cache off, %d cores%n",
                tasks, suite, policySpec, Runtime.getRuntime().availableProcessors());
        double[] walls = new double[3];
        // Concurrency 1 runs twice: the first run in a process also pays one-time start-up (DuckDB's native library).
        int[] plan = {1, 1, 2};
        for (int run = 0; run < plan.length; run++) {
            int concurrency = plan[run];
            Path dir = Files.createTempDirectory("renderloop-perf-bench-");
            try (RenderEngine engine = engineOptions.builder().noCache().workers(concurrency).build();
                 Policy policy = policySpec.equals("retrieval") ? Policies.retrieval(base) : Policies.create(policySpec, null, 8,
                         java.time.Duration.ofSeconds(300))) {
                engine.warmUp(suiteTasks.get(0).domain(), concurrency);
                Bench.Outcome o = Bench.builder()
                        .layout(new RunLayout(dir))
                        .suite("perf:" + suite, suiteTasks)
                        .strategies(List.of(Strategy.VANILLA))
                        .policy(policy)
                        .engine(engine)
                        .agentConfig(new AgentConfig(3, Sampling.greedy(256), 10, 30))
                        .concurrency(concurrency)
                        .provenance(Map.of())
                        .build().run();
                walls[concurrency] = o.wallMillis();
                // Pair-time accounts are summed over the N threads: divided by N they are wall time.
                double pairs = o.pairHarnessMillis() / (double) concurrency;
                out.printf(Locale.ROOT, "  concurrency %d%s: wall %5.1f s | summed over pairs: render %5.1f s, scoring %4.1f s, policy %3.1f s | "
                                + "harness: %4.1f ms per pair = %4.1f %% of wall, plus start-up/summary %4.2f s; in all %4.1f %% of wall "
                                + "(target < 5 %%)%n", concurrency, run == 0 ? " (first in process)" : run == 1 ? " (again)         " : "                 ",
                        o.wallMillis() / 1000.0, o.renderMillis() / 1000.0,
                        o.scoreMillis() / 1000.0, o.policyMillis() / 1000.0, o.pairHarnessMillis() / (double) o.ran(),
                        100 * pairs / o.wallMillis(), o.fixedMillis() / 1000.0, 100 * (pairs + o.fixedMillis()) / o.wallMillis());
            } finally {
                ScratchTree.delete(dir);
            }
        }
        out.printf(Locale.ROOT, "  concurrency 2 vs 1: %.2fx faster%n", walls[1] / walls[2]);
        out.println("  (the first run in a process also loads DuckDB's native library: that is most of its start-up.)");
        return ExitCode.OK;
    }
}
