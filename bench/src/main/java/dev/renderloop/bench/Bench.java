package dev.renderloop.bench;

import dev.renderloop.agent.Agent;
import dev.renderloop.agent.AgentConfig;
import dev.renderloop.agent.AgentRun;
import dev.renderloop.agent.ApiDocumentation;
import dev.renderloop.agent.Attempt;
import dev.renderloop.agent.AttemptJson;
import dev.renderloop.agent.PolicyUnavailableException;
import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.agent.Strategy;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyErrorKind;
import dev.renderloop.render.ErrorKind;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.Renderer;
import dev.renderloop.score.ImageEmbedder;
import dev.renderloop.score.Metric;
import dev.renderloop.score.TextEmbedder;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Runs every task of a suite under every strategy through the agent, writing attempts and final answers to the
 * run's database as they complete, then the summary. Running it again on the same run folder resumes: pairs with
 * a final row are not run again, a pair cut short is run from the start, and the summary is computed from the
 * final rows alone, so the numbers equal those of an uninterrupted run. A task that fails, or a pair that throws,
 * is recorded and never stops the run. What the environment breaks is not the model's outcome and is never recorded
 * as one: an unavailable renderer or references that mostly fail for one reason refuse the run before it starts, and
 * a policy that cannot be reached stops it after a few pairs in a row ({@link BenchStoppedException}); such pairs have
 * no final row, so the next run runs them.
 */
public final class Bench {
    private final RunLayout layout;
    private final String suiteName;
    private final List<Task> tasks;
    private final List<Strategy> strategies;
    private final Policy policy;
    private final Policy critic;
    private final RenderEngine engine;
    private final AgentConfig agentConfig;
    private final Function<String, ApiDocumentation> documentation;
    private final ImageEmbedder clip;
    private final ImageEmbedder dino;
    private final TextEmbedder codebert;
    private final int concurrency;
    private final PrintStream progress;
    private final Map<String, Object> provenance;
    private final LongSupplier clock;

    private Bench(Builder b) {
        this.layout = Objects.requireNonNull(b.layout, "layout");
        this.suiteName = Objects.requireNonNull(b.suiteName, "suiteName");
        this.tasks = List.copyOf(b.tasks);
        this.strategies = List.copyOf(b.strategies);
        this.policy = Objects.requireNonNull(b.policy, "policy");
        this.critic = b.critic;
        this.engine = Objects.requireNonNull(b.engine, "engine");
        this.agentConfig = Objects.requireNonNull(b.agentConfig, "agentConfig");
        this.documentation = b.documentation;
        this.clip = b.clip;
        this.dino = b.dino;
        this.codebert = b.codebert;
        this.concurrency = b.concurrency;
        this.progress = b.progress;
        this.provenance = new LinkedHashMap<>(b.provenance);
        this.clock = b.clock;
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("the suite has no tasks to run");
        }
        if (strategies.isEmpty()) {
            throw new IllegalArgumentException("no strategy to run");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Benchmark settings; layout, suite, tasks, strategies, policy, engine and agent config are required. */
    public static final class Builder {
        private RunLayout layout;
        private String suiteName;
        private List<Task> tasks = List.of();
        private List<Strategy> strategies = List.of();
        private Policy policy;
        private Policy critic;
        private RenderEngine engine;
        private AgentConfig agentConfig;
        private Function<String, ApiDocumentation> documentation = d -> null;
        private ImageEmbedder clip;
        private ImageEmbedder dino;
        private TextEmbedder codebert;
        private int concurrency = 1;
        private PrintStream progress;
        private Map<String, Object> provenance = Map.of();
        private LongSupplier clock = System::nanoTime;

        public Builder layout(RunLayout l) { this.layout = l; return this; }
        public Builder suite(String name, List<Task> t) { this.suiteName = name; this.tasks = t; return this; }
        public Builder strategies(List<Strategy> s) { this.strategies = s; return this; }
        public Builder policy(Policy p) { this.policy = p; return this; }
        /** The vision-capable critic for ritl-vis; without one ritl-vis is reported not applicable. */
        public Builder critic(Policy c) { this.critic = c; return this; }
        public Builder engine(RenderEngine e) { this.engine = e; return this; }
        public Builder agentConfig(AgentConfig c) { this.agentConfig = c; return this; }
        /** API documentation per domain for ritl-doc ({@code null} for a domain: ritl-doc is not applicable there). */
        public Builder documentation(Function<String, ApiDocumentation> d) { this.documentation = d; return this; }
        public Builder models(ImageEmbedder clipModel, ImageEmbedder dinoModel, TextEmbedder codebertModel) {
            this.clip = clipModel;
            this.dino = dinoModel;
            this.codebert = codebertModel;
            return this;
        }
        /** Pairs run at once (the render engine bounds render concurrency itself). */
        public Builder concurrency(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("concurrency must be >= 1");
            }
            this.concurrency = n;
            return this;
        }
        /** Where the progress line goes ({@code null}: nowhere). */
        public Builder progress(PrintStream p) { this.progress = p; return this; }
        /** Recorded in run_meta and summary.json: versions, commit, configuration. */
        public Builder provenance(Map<String, Object> p) { this.provenance = p; return this; }
        /** Nanosecond clock for timings and the ETA (tests inject one). */
        public Builder clock(LongSupplier c) { this.clock = c; return this; }
        public Bench build() { return new Bench(this); }
    }

    /**
     * What a run did.
     *
     * @param pairs        (task, strategy) pairs in the run
     * @param alreadyDone  pairs found done (resumed)
     * @param ran          pairs run now
     * @param notApplicable strategy -> why it was not run (e.g. ritl-doc without documentation for the domain)
     * @param wallMillis   wall time of this invocation
     * @param renderMillis time inside render calls (attempts and references), summed over the pairs run now
     * @param scoreMillis  time computing metrics, summed
     * @param policyMillis time waiting for the policy, summed
     * @param pairHarnessMillis the harness's own time per pair, summed over pairs: what is not render, score or
     *                     policy (storage, frame links, attempt records, the agent's bookkeeping)
     * @param fixedMillis  the harness's time outside pairs: opening the database (the first open in a process loads
     *                     DuckDB's native library), reading what is done, computing and writing the summary
     * @param summary      the summary as written to summary.json
     * @param deferred     pairs that failed for a reason of the environment (fewer than would stop the run): not
     *                     recorded, so running the same command again runs them
     * @param deferredWhy  the last such reason, or {@code null} when none
     */
    public record Outcome(int pairs, int alreadyDone, int ran, Map<String, String> notApplicable, long wallMillis,
                          long renderMillis, long scoreMillis, long policyMillis, long pairHarnessMillis, long fixedMillis,
                          Map<String, Object> summary, int deferred, String deferredWhy) {
    }

    /** Time accounts of the pairs run now, in nanoseconds. */
    private static final class Accounts {
        final java.util.concurrent.atomic.AtomicLong render = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong score = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong policy = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong harness = new java.util.concurrent.atomic.AtomicLong();
    }

    private record Pair(Task task, Strategy strategy) {
    }

    /**
     * Runs (or resumes) the benchmark, writes summary.json and the HTML report ({@code report/index.html}).
     *
     * @throws BenchStoppedException when the environment, not the model, stops the run: a renderer of the suite is
     *                               unavailable, most references fail for one reason (both before anything runs), or
     *                               the policy fails for a reason of the environment several pairs in a row. No row is
     *                               written for what the environment broke, so the same command resumes once it is fixed.
     */
    public Outcome run() throws IOException {
        long start = clock.getAsLong();
        Map<String, String> notApplicable = new LinkedHashMap<>();
        List<Task> runnable = tasks;
        for (Strategy s : strategies) {
            if (s == Strategy.RITL_VIS && critic == null) {
                notApplicable.put(s.wireName(), "no vision-capable critic policy configured");
            }
            if (s == Strategy.RITL_DOC) {
                List<String> missing = runnable.stream().map(Task::domain).distinct().filter(d -> documentation.apply(d) == null).toList();
                if (!missing.isEmpty()) {
                    notApplicable.put(s.wireName(), "no API documentation for " + String.join(", ", missing)
                            + " (ritl-doc looks names up in an installed Python package)");
                }
            }
        }
        List<Pair> pairs = new ArrayList<>();
        for (Task t : runnable) {
            for (Strategy s : strategies) {
                boolean skip = notApplicable.containsKey(s.wireName())
                        && (s != Strategy.RITL_DOC || documentation.apply(t.domain()) == null);
                if (!skip) {
                    pairs.add(new Pair(t, s));
                }
            }
        }
        for (String domain : tasks.stream().map(Task::domain).distinct().toList()) {
            Renderer.Availability a = engine.availability(domain);
            if (!a.available()) {
                throw new BenchStoppedException(BenchStoppedException.Reason.RENDERER_UNAVAILABLE, "the " + domain
                        + " renderer cannot run on this machine: " + a.detail() + "; nothing was run (its renders would all fail "
                        + "for this machine's reason, not the model's)");
            }
        }
        Outcome outcome;
        try (RunStore store = RunStore.open(layout);
             ReferenceScorer scorer = new ReferenceScorer(engine, clip, dino, codebert)) {
            String config = RunStore.JSON.writeValueAsString(configuration());
            String existing = store.meta("config");
            if (existing != null && !existing.equals(config)) {
                throw new IllegalStateException("the run folder " + layout.dir() + " holds a different run (" + existing
                        + "); use another --out, or delete it to start over");
            }
            store.putMeta("config", config);
            store.putMeta("provenance", RunStore.JSON.writeValueAsString(provenance));
            // Rows an earlier version wrote for failures of the environment are not results: run those pairs again.
            store.dropEnvironmentFailures(ENVIRONMENTAL_POLICY_ERRORS);
            Set<String> done = store.donePairs();
            Set<String> partial = store.partialPairs();
            List<Pair> todo = pairs.stream().filter(p -> !done.contains(RunStore.pair(p.task().id(), p.strategy().wireName()))).toList();
            int alreadyDone = pairs.size() - todo.size();
            Accounts accounts = new Accounts();
            ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
                Thread t = new Thread(r, "bench-pair");
                t.setDaemon(true);
                return t;
            });
            EnvironmentWatch watch = new EnvironmentWatch();
            long fixed;
            try {
                checkReferences(store, scorer, todo.stream().map(Pair::task).toList(), pool, accounts);
                long fixedStart = clock.getAsLong();
                fixed = fixedStart - start;
                ProgressBar bar = new ProgressBar(progress, "", "pairs", "RSR", pairs.size(), alreadyDone, clock);
                try {
                    List<Future<?>> futures = new ArrayList<>();
                    for (Pair p : todo) {
                        futures.add(pool.submit(() -> {
                            if (watch.stopped()) {
                                watch.deferred();
                                return null;
                            }
                            FinalRow row = runPair(store, scorer, p.task(), p.strategy(), accounts, watch,
                                    partial.contains(RunStore.pair(p.task().id(), p.strategy().wireName())));
                            if (row != null) {
                                bar.step(row.success(), null);
                            }
                            return null;
                        }));
                    }
                    await(futures);
                } finally {
                    bar.finish();
                }
            } finally {
                pool.shutdownNow();
            }
            if (watch.stopped()) {
                throw new BenchStoppedException(BenchStoppedException.Reason.POLICY_UNAVAILABLE, "stopped after "
                        + EnvironmentWatch.STOP_AFTER + " pairs in a row failed for a reason of the environment, not the model's: "
                        + watch.reason() + ". Nothing was recorded for them; fix it and run the same command again to resume ("
                        + (alreadyDone + todo.size() - watch.deferredCount()) + " of " + pairs.size() + " pairs are done).");
            }
            long summaryStart = clock.getAsLong();
            Map<String, Object> summary = summary(store.finals(), store.referenceFailures(), notApplicable);
            Files.writeString(layout.summary(), RunStore.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
            long end = clock.getAsLong();
            fixed += end - summaryStart;
            outcome = new Outcome(pairs.size(), alreadyDone, todo.size() - watch.deferredCount(), notApplicable,
                    (end - start) / 1_000_000, accounts.render.get() / 1_000_000, accounts.score.get() / 1_000_000,
                    accounts.policy.get() / 1_000_000, accounts.harness.get() / 1_000_000, fixed / 1_000_000, summary,
                    watch.deferredCount(), watch.reason());
        } catch (SQLException e) {
            throw new IOException("run database error: " + e.getMessage(), e);
        }
        // The report reads the database read-only, so it is written once the run has closed it.
        HtmlReport.write(layout);
        return outcome;
    }

    private static void await(List<Future<?>> futures) throws IOException {
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IOException("benchmark storage failed: " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** Policy error kinds (wire names) that are the environment's, not the model's. */
    private static final Set<String> ENVIRONMENTAL_POLICY_ERRORS = java.util.Arrays.stream(PolicyErrorKind.values())
            .filter(PolicyErrorKind::environmental).map(PolicyErrorKind::wireName).collect(java.util.stream.Collectors.toSet());

    /**
     * Renders the references of the tasks still to run (and of stored tasks whose reference failed: the environment
     * may have been fixed since), records them, and refuses the run when more than half of the suite's references
     * fail with one and the same error: a missing library or runtime, not something a model could be scored on.
     */
    private void checkReferences(RunStore store, ReferenceScorer scorer, List<Task> todo, ExecutorService pool, Accounts accounts)
            throws SQLException, IOException {
        Map<String, String> storedFailures = store.referenceFailures();
        Set<String> known = store.taskIds();
        Map<String, Task> toRender = new LinkedHashMap<>();
        for (Task t : tasks) {
            if (storedFailures.containsKey(t.id()) || (!known.contains(t.id()) && todo.contains(t))) {
                toRender.put(t.id(), t);
            }
        }
        Map<String, Future<RenderResult>> renders = new LinkedHashMap<>();
        for (Task t : toRender.values()) {
            renders.put(t.id(), pool.submit(() -> {
                long r0 = clock.getAsLong();
                RenderResult r = scorer.reference(t);
                accounts.render.addAndGet(clock.getAsLong() - r0);
                return r;
            }));
        }
        Map<String, RenderResult> results = new LinkedHashMap<>();
        for (Map.Entry<String, Future<RenderResult>> e : renders.entrySet()) {
            try {
                results.put(e.getKey(), e.getValue().get());
            } catch (ExecutionException ex) {
                throw new IOException("rendering the reference of " + e.getKey() + " failed: " + ex.getCause(), ex.getCause());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", ex);
            }
        }
        // Outcomes over the suite: stored successes count as successes, everything else was rendered now.
        Map<String, Integer> bySignature = new LinkedHashMap<>();
        int judged = 0;
        for (Task t : tasks) {
            RenderResult r = results.get(t.id());
            if (r != null) {
                judged++;
                if (!r.ok()) {
                    bySignature.merge(signature(r), 1, Integer::sum);
                }
            } else if (known.contains(t.id())) {
                judged++;
            }
        }
        for (Map.Entry<String, Integer> e : bySignature.entrySet()) {
            if (e.getValue() * 2 > judged) {
                throw new BenchStoppedException(BenchStoppedException.Reason.REFERENCES_FAIL, e.getValue() + " of " + judged
                        + " reference programs of the suite fail to render with the same error, so this machine lacks something "
                        + "they need: " + e.getKey() + ". Nothing was run; install what is missing, or choose tasks that "
                        + "render here (--level, --limit, a smaller suite).");
            }
        }
        for (Map.Entry<String, RenderResult> e : results.entrySet()) {
            Task t = toRender.get(e.getKey());
            RenderResult ref = e.getValue();
            List<String> frames = ref.ok() ? copyFrames(ref.frames(), layout.referenceFrames(t.id())) : List.of();
            if (ref.ok()) {
                copyVideo(ref, layout.referenceFrames(t.id()));
            }
            store.putTask(t.id(), t.domain(), t.level(), t.description(), t.code(), ref.status(),
                    ref.ok() ? null : ref.errorKind().wireName() + ": " + ref.errorTail(10), frames);
        }
    }

    /** A failed render's kind and last non-blank error line: what makes two failures "the same reason". */
    private static String signature(RenderResult r) {
        List<String> lines = r.error().lines().filter(l -> !l.isBlank()).toList();
        return r.errorKind().wireName() + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1).strip());
    }

    /**
     * Counts pairs that failed for a reason of the environment; after {@link #STOP_AFTER} in a row (no pair
     * completing in between) the run stops: the server is down or refuses us, and every further pair would wait out
     * its retries for nothing.
     */
    private static final class EnvironmentWatch {
        static final int STOP_AFTER = 3;
        private int consecutive;
        private int deferred;
        private boolean stopped;
        private String reason;

        synchronized void failed(String why) {
            consecutive++;
            deferred++;
            reason = why;
            if (consecutive >= STOP_AFTER) {
                stopped = true;
            }
        }

        synchronized void completed() {
            consecutive = 0;
        }

        synchronized void deferred() {
            deferred++;
        }

        synchronized boolean stopped() {
            return stopped;
        }

        synchronized int deferredCount() {
            return deferred;
        }

        synchronized String reason() {
            return reason;
        }
    }

    private Map<String, Object> configuration() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("suite", suiteName);
        c.put("tasks", tasks.stream().map(Task::id).toList());
        c.put("policy", policy.name());
        c.put("strategies", strategies.stream().map(Strategy::wireName).toList());
        c.put("max_repairs", agentConfig.maxRepairs());
        c.put("sampling", agentConfig.sampling().toString());
        c.put("critic", critic == null ? null : critic.name());
        c.put("models", List.of(clip == null ? "" : clip.name(), dino == null ? "" : dino.name(), codebert == null ? "" : codebert.name()));
        return c;
    }

    private Map<String, Object> summary(List<FinalRow> rows, Map<String, String> referenceFailures, Map<String, String> notApplicable) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("run", layout.dir().getFileName().toString());
        s.put("suite", suiteName);
        s.put("policy", policy.name());
        s.put("baseline", policy.baseline());
        s.put("strategies", strategies.stream().map(Strategy::wireName).toList());
        s.put("provenance", provenance);
        Set<String> ids = tasks.stream().map(Task::id).collect(java.util.stream.Collectors.toSet());
        Map<String, String> failures = new LinkedHashMap<>(referenceFailures);
        failures.keySet().retainAll(ids);
        // Metrics no answer can have without their model: failed renders' published zeros must not stand in for them.
        Map<String, String> missingModels = new LinkedHashMap<>();
        if (clip == null) {
            missingModels.put("vs_paper", "needs a CLIP image embedder (--clip-model); none configured");
            missingModels.put("vs_corrected", "needs a CLIP image embedder (--clip-model); none configured");
        }
        if (codebert == null) {
            missingModels.put("codebert", "needs a CodeBERT model (--codebert-model); none configured");
            missingModels.put("cbb", "needs a CodeBERT model (--codebert-model); none configured");
        }
        s.putAll(Summary.of(rows, strategies.stream().map(Strategy::wireName).toList(), failures, missingModels));
        s.put("not_applicable", notApplicable);
        return s;
    }

    /** Runs one pair and records its final row; {@code null} when the environment failed it (nothing recorded). */
    private FinalRow runPair(RunStore store, ReferenceScorer scorer, Task task, Strategy strategy, Accounts accounts,
                             EnvironmentWatch watch, boolean partial) throws SQLException, IOException {
        long start = clock.getAsLong();
        long spent = 0; // render, score and policy time of this pair, in ns
        // The reference rendered before the pairs (the scorer keeps it), so this is a lookup.
        long r0 = clock.getAsLong();
        RenderResult ref = scorer.reference(task);
        long r = clock.getAsLong() - r0;
        accounts.render.addAndGet(r);
        spent += r;
        if (!ref.ok() && ref.errorKind() == ErrorKind.RENDERER_UNAVAILABLE) {
            watch.failed("the " + task.domain() + " renderer is unavailable: " + ref.errorTail(3));
            return null;
        }
        if (partial) {
            store.deletePartial(task.id(), strategy.wireName()); // what a killed run left of this pair
        }
        java.util.concurrent.atomic.AtomicLong scoring = new java.util.concurrent.atomic.AtomicLong();
        Agent.Builder agent = Agent.builder().policy(policy).engine(engine).config(agentConfig).scorer((t, code, render) -> {
            long s0 = clock.getAsLong();
            try {
                return scorer.score(t, code, render);
            } finally {
                scoring.addAndGet(clock.getAsLong() - s0);
            }
        });
        if (strategy == Strategy.RITL_DOC) {
            agent.documentation(documentation.apply(task.domain()));
        }
        if (critic != null) {
            agent.critic(critic);
        }
        AtomicInteger seq = new AtomicInteger();
        AgentRun run;
        try {
            run = agent.build().run(task, strategy, a -> {
                try {
                    store.putAttempt(task.id(), strategy.wireName(), seq.getAndIncrement(), a.round(), a.step(),
                            a.render() == null ? null : a.render().status(),
                            a.render() == null || a.render().ok() ? null : a.render().errorKind().wireName(),
                            RunStore.JSON.writeValueAsString(AttemptJson.of(task.id(), strategy, a)));
                } catch (SQLException | IOException e) {
                    throw new IllegalStateException("cannot store an attempt: " + e.getMessage(), e);
                }
            });
        } catch (PolicyUnavailableException e) {
            // Not the model's outcome: nothing final is written, and the attempts before it are a partial pair that a
            // later run deletes and runs again.
            watch.failed(e.getMessage());
            return null;
        } catch (RuntimeException e) {
            if (e instanceof IllegalStateException && e.getCause() instanceof SQLException) {
                throw e;
            }
            // A bug or an unexpected failure in one pair is recorded as that pair's failure; the run goes on.
            FinalRow row = new FinalRow(task.id(), strategy.wireName(), task.level(), false, 0, seq.get(), 0, 0, 0, 0,
                    (clock.getAsLong() - start) / 1_000_000, "", List.of(), "harness_error", e.toString(), Map.of(), Map.of());
            store.putFinal(row);
            watch.completed();
            return row;
        }
        if (run.finalRender() != null && run.finalRender().errorKind() == ErrorKind.RENDERER_UNAVAILABLE) {
            watch.failed("the " + task.domain() + " renderer is unavailable: " + run.finalRender().errorTail(3));
            return null;
        }
        watch.completed();
        long f0 = clock.getAsLong();
        List<Metric> scores = finalScores(scorer, task, run);
        scoring.addAndGet(clock.getAsLong() - f0);
        Map<String, Double> metrics = new LinkedHashMap<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (Metric m : scores) {
            if (RunStore.METRICS.contains(m.name())) {
                metrics.put(m.name(), m.available() ? m.value() : null);
                if (!m.available()) {
                    unavailable.put(m.name(), m.unavailable());
                }
            }
        }
        List<String> frames = run.success() ? copyFrames(run.finalRender().frames(), layout.finalFrames(task.id(), strategy.wireName()))
                : List.of();
        if (run.success()) {
            copyVideo(run.finalRender(), layout.finalFrames(task.id(), strategy.wireName()));
        }
        long policyMs = run.attempts().stream().mapToLong(Attempt::policyMillis).sum();
        long renderMs = run.attempts().stream().filter(a -> a.render() != null).mapToLong(a -> a.render().renderMillis()).sum();
        long prompt = run.attempts().stream().mapToLong(Attempt::promptTokens).sum();
        long completion = run.attempts().stream().mapToLong(Attempt::completionTokens).sum();
        RenderResult fr = run.finalRender();
        FinalRow row = new FinalRow(task.id(), strategy.wireName(), task.level(), run.success(), run.repairs(), run.attempts().size(),
                prompt, completion, policyMs, renderMs, (clock.getAsLong() - start) / 1_000_000, run.finalCode(), frames,
                fr == null ? "no_code" : fr.ok() ? null : fr.errorKind().wireName(),
                fr == null ? "no code in the final answer" : fr.ok() ? null : fr.errorTail(10), metrics, unavailable);
        store.putFinal(row);
        long renderNs = run.attempts().stream().filter(a -> a.render() != null).mapToLong(a -> a.render().millis()).sum() * 1_000_000;
        spent += renderNs + scoring.get() + policyMs * 1_000_000;
        accounts.render.addAndGet(renderNs);
        accounts.score.addAndGet(scoring.get());
        accounts.policy.addAndGet(policyMs * 1_000_000);
        accounts.harness.addAndGet(Math.max(0, clock.getAsLong() - start - spent));
        return row;
    }

    /** The scores of the attempt that produced the final answer (computed once, by the agent), else scored now. */
    private static List<Metric> finalScores(ReferenceScorer scorer, Task task, AgentRun run) {
        for (int i = run.attempts().size() - 1; i >= 0; i--) {
            Attempt a = run.attempts().get(i);
            if (a.render() == run.finalRender() && a.code().code().equals(run.finalCode()) && !a.scores().isEmpty()) {
                return a.scores();
            }
        }
        return scorer.score(task, run.finalCode(), run.finalRender());
    }

    /** Video files the report plays (Manim renders an mp4 beside its frames); stills have none. */
    static final List<String> VIDEO_EXTENSIONS = List.of("mp4", "webm");

    /** Stores a render's video, when it has one, as {@code video.EXT} beside its frames (the report plays it). */
    private static void copyVideo(RenderResult render, Path dir) {
        Path media = render.media();
        if (media == null) {
            return;
        }
        String name = media.getFileName().toString();
        String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        if (!VIDEO_EXTENSIONS.contains(ext) || !Files.isRegularFile(media)) {
            return;
        }
        try {
            Files.createDirectories(dir);
            Path target = dir.resolve("video." + ext);
            Files.deleteIfExists(target);
            try {
                Files.createLink(target, media);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(media, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the video " + media + " in " + dir, e);
        }
    }

    private List<String> copyFrames(List<Path> frames, Path dir) {
        try {
            Files.createDirectories(dir);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < frames.size(); i++) {
                Path target = dir.resolve(String.format(Locale.ROOT, "frame_%05d.png", i));
                Files.deleteIfExists(target);
                try {
                    // Rendered frames are immutable files: a hard link stores them in the run at no cost.
                    Files.createLink(target, frames.get(i));
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(frames.get(i), target, StandardCopyOption.REPLACE_EXISTING);
                }
                out.add(layout.dir().relativize(target).toString());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store frames in " + dir, e);
        }
    }
}
