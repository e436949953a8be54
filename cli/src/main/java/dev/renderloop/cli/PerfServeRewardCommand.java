package dev.renderloop.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.score.Metric;
import dev.renderloop.score.Picture;
import dev.renderloop.score.Reward;
import dev.renderloop.score.RewardInput;
import dev.renderloop.score.RewardSpec;
import dev.renderloop.score.Ssim;
import dev.renderloop.serve.RewardService;
import dev.renderloop.serve.RewardServiceConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop perf serve-reward}: a load test of one reward-service replica on loopback, bounded in time and
 * in batches. Starts the service in this process on 127.0.0.1 (never another address), then:
 * <ol>
 *   <li>one batch of 8 svg and one of 8 matplotlib items against the service, and the same batches the published
 *       way (VinciCoder's per-call pool: a fresh svg renderer per batch, its drawing processes started by the call, as
 *       cairosvg in a fresh process pool; a fresh Python interpreter per matplotlib
 *       item, {@code cores} at a time), scored by the same scorer; rewards/s of each and the ratio (the service's
 *       first batch after start is printed on its own, then it is warmed until its JIT has settled, as a service is
 *       after its first calls in a training run ({@link WarmUp}); the median of five rounds is compared), and the CPU of each round (the
 *       service's batch, its workers' work once idle after it, the published batch) with their ratio per reward;</li>
 *   <li>sustained batches of 8 (svg and matplotlib alternating) from {@code --threads} client threads for
 *       {@code --seconds}: throughput, p50/p99 latency per domain, errors by kind;</li>
 *   <li>3x overload (three times the threads, no client back-off) for {@code --overload-seconds}: the answers by
 *       status (the target: 200s and 429s only, no 5xx, no timeouts);</li>
 * </ol>
 * and the resident memory of this JVM and of its worker processes before and after. Every candidate program is made
 * unique so that the render cache never answers it; the references repeat and are cached, as in training.
 */
@Command(name = "serve-reward", mixinStandardHelpOptions = true,
        description = "Load test of the reward service on loopback vs. the published per-call pool.")
final class PerfServeRewardCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 8;
    private static final int ROUNDS = 5;
    private static final double WARM_SECONDS = 3;
    /** Warm-up batches go on, past WARM_SECONDS, until the last WARM_WINDOW of them spent less than JIT_SETTLED of their time compiling. */
    private static final int WARM_WINDOW = 10;
    private static final double JIT_SETTLED = 0.02;
    static final String SVG_REF = "<svg xmlns='http://www.w3.org/2000/svg' width='336' height='336'>"
            + "<rect width='336' height='336' fill='white'/><circle cx='168' cy='168' r='90' fill='#d33'/>"
            + "<rect x='40' y='40' width='80' height='60' fill='#36c'/></svg>";
    static final String PLOT_REF = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b', 'c'], [3, 1, 2], color='tab:green')\n"
            + "plt.title('sales')\n";

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "60", description = "Length of the sustained phase (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--overload-seconds", defaultValue = "10", description = "Length of the 3x overload phase (default: ${DEFAULT-VALUE}; 0 skips it).")
    int overloadSeconds;

    @Option(names = "--threads", defaultValue = "2", description = "Client threads in the sustained phase (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--max-batches", defaultValue = "5000", description = "Most batches per phase (default: ${DEFAULT-VALUE}).")
    int maxBatches;

    @Option(names = "--queue", defaultValue = "32", description = "The service's queue capacity in items (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--concurrency", paramLabel = "N",
            description = "Items the service scores at once, as serve-reward's option (default: the number of cores, at least 2).")
    Integer concurrency;

    @Option(names = "--domains", split = ",", defaultValue = "svg,matplotlib",
            description = "Domains of the batches, alternating (default: ${DEFAULT-VALUE}); svg alone shows svg latency unmixed.")
    List<String> wanted;

    @Option(names = "--warm-max-seconds", defaultValue = "60", paramLabel = "S",
            description = "Longest warm-up of each domain before its one-batch rounds: untimed batches, back to back, until the "
                    + "JIT compiles less than 2%% of the time (at least 3 s; default: ${DEFAULT-VALUE}; 3 gives the fixed 3 s of "
                    + "earlier versions).")
    double warmMaxSeconds;

    @Option(names = "--skip-published", description = "Do not run the published per-call pool.")
    boolean skipPublished;

    @Mixin
    EngineOptions engineOptions;

    private final AtomicLong unique = new AtomicLong();
    /** Per run, so that no run's candidates are in the render cache from an earlier run (that made renders 0-1 ms). */
    private final String runTag = Long.toHexString(new java.security.SecureRandom().nextLong());

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (seconds < 1 || seconds > 3600 || overloadSeconds < 0 || overloadSeconds > 600 || threads < 1 || threads > 64
                || maxBatches < 1 || queue < BATCH || (concurrency != null && (concurrency < 1 || concurrency > 64))
                || !(warmMaxSeconds >= WARM_SECONDS && warmMaxSeconds <= 600)) {
            spec.commandLine().getErr().println("renderloop perf serve-reward: --seconds in 1..3600, --overload-seconds in 0..600, "
                    + "--threads in 1..64, --max-batches >= 1, --queue >= " + BATCH + ", --concurrency in 1..64, "
                    + "--warm-max-seconds in 3..600");
            return ExitCode.USAGE;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        Path python = engineOptions.python != null ? engineOptions.python : RenderEngine.defaultPython();
        try (RenderEngine engine = engineOptions.builder().build();
             ReferenceScorer scorer = new ReferenceScorer(engine, null, null, null, dev.renderloop.render.ManimMode.REWARD)) {
            boolean matplotlib = engine.availability("matplotlib").available();
            if (!List.of("svg", "matplotlib").containsAll(wanted) || wanted.isEmpty()) {
                spec.commandLine().getErr().println("renderloop perf serve-reward: --domains takes svg and/or matplotlib, got " + wanted);
                return ExitCode.USAGE;
            }
            List<String> domains = wanted.stream().filter(d -> matplotlib || !d.equals("matplotlib")).distinct().toList();
            if (!matplotlib && wanted.contains("matplotlib")) {
                out.println("matplotlib unavailable (" + engine.availability("matplotlib").detail() + "): left out");
            }
            if (domains.isEmpty()) {
                return ExitCode.USAGE;
            }
            RewardServiceConfig config = RewardServiceConfig.defaults("127.0.0.1", 0).withQueue(queue, concurrency != null ? concurrency : Math.max(2, cores))
                    .withWarmDomains(domains.contains("matplotlib") ? List.of("matplotlib") : List.of());
            try (RewardService service = RewardService.start(engine, scorer, config)) {
                long end = System.nanoTime() + 120_000_000_000L;
                while (!service.ready() && System.nanoTime() < end) {
                    Thread.sleep(50);
                }
                String url = "http://127.0.0.1:" + service.port() + "/v1/score";
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                // The SSIM kernel: `java -jar` without --add-modules jdk.incubator.vector runs the scalar one, ~4x slower.
                out.printf(Locale.ROOT, "perf serve-reward: one replica on 127.0.0.1:%d, %d cores, queue %d items, %d scoring "
                        + "threads, batches of %d; SSIM kernel %s; garbage collector %s%n", service.port(), cores, queue,
                        config.concurrency(), BATCH, Ssim.kernel(), collectors());
                for (String d : domains) {  // the references, rendered once per replica, before any timing
                    post(http, url, batch(d), Duration.ofSeconds(120));
                }
                Memory before = Memory.now();
                out.printf(Locale.ROOT, "RSS before: JVM %d MiB, JVM and workers %d MiB; Java heap in use after GC %d MiB%n",
                        before.rssMiB(), before.treeMiB(), before.heapMiB());

                out.println("\none batch of 8 (rewards/s; the published per-call pool: svg on a renderer made for the call,"
                        + " its drawing processes started by it; matplotlib in a fresh interpreter per item; " + cores
                        + " at a time):");
                for (String d : domains) {
                    // A service answers thousands of batches in a training run; its first ones run while the JIT
                    // compiles the scorer. The comparison is with the service as it runs after that: the first batch is
                    // printed, then untimed batches warm it until the JIT has settled (Warm-up), then ROUNDS rounds,
                    // alternating sides, medians reported. The published pool is made per call by design, so it is never warm.
                    long c0 = System.nanoTime();
                    post(http, url, batch(d), Duration.ofSeconds(120));
                    double cold = (System.nanoTime() - c0) / 1e9;
                    WarmUp warm = new WarmUp();
                    while (!warm.done(warmMaxSeconds)) {
                        post(http, url, batch(d), Duration.ofSeconds(120));
                        warm.batchDone();
                    }
                    out.printf(Locale.ROOT, "  %-10s first batch after start %.0f ms (%.1f rewards/s), then %d untimed batches in %.0f s "
                            + "(%s)%n", d, cold * 1000, BATCH / cold, warm.batches(), warm.seconds(), warm.why(warmMaxSeconds));
                    List<Double> ours = new ArrayList<>();
                    List<Double> theirs = new ArrayList<>();
                    double[] split = new double[3];
                    double settled = 0;
                    int scored = 0;
                    int rendered = 0;
                    // As before every later round (the published batch ran meanwhile): the workers were idle once,
                    // not straight after the back-to-back warm-up batches.
                    settle();
                    // CPU of this JVM and every process under it, per round: the service's batch, what its workers do once
                    // idle after it (end the job processes they kept, make spare job processes, read ahead), the published batch.
                    List<Double> oursCpu = new ArrayList<>();
                    List<Double> idleCpu = new ArrayList<>();
                    List<Double> theirsCpu = new ArrayList<>();
                    for (int round = 0; round < ROUNDS; round++) {
                        double cpu0 = PerfRenderCommand.treeCpuSeconds();
                        long t0 = System.nanoTime();
                        Answer a = post(http, url, batch(d), Duration.ofSeconds(120));
                        ours.add((System.nanoTime() - t0) / 1e9);
                        double cpu1 = PerfRenderCommand.treeCpuSeconds();
                        scored += a.scored();
                        for (int k = 0; k < 3; k++) {
                            split[k] += a.meanMillis()[k] / ROUNDS;
                        }
                        // The workers make and warm spare job processes once idle: the published pool must not share
                        // the CPU with that work, and with --skip-published the next round still starts as it would
                        // after a published batch (without this wait it met no spares, and took twice as long).
                        double waited = settle();
                        double cpu2 = PerfRenderCommand.treeCpuSeconds();
                        oursCpu.add(cpu1 - cpu0);
                        idleCpu.add(cpu2 - cpu1);
                        if (!skipPublished) {
                            settled += waited / ROUNDS;
                            Published p = published(d, engine, scorer, python, cores);
                            theirs.add(p.seconds());
                            rendered += p.rendered();
                            theirsCpu.add(p.cpuSeconds());
                        }
                    }
                    // Each round's own ratio too: on a shared, noisy machine their spread says how far one median is to trust.
                    double[] roundRatios = new double[theirs.size()];
                    for (int i = 0; i < roundRatios.length; i++) {
                        roundRatios[i] = theirs.get(i) / ours.get(i);
                    }
                    java.util.Arrays.sort(roundRatios);
                    Collections.sort(ours);
                    double oursRate = BATCH / ours.get(ROUNDS / 2);
                    String line = String.format(Locale.ROOT, "  %-10s service %.1f rewards/s (median %.0f ms; %d/%d scored; per item"
                            + " mean queue %.0f ms, render %.0f ms, score %.0f ms)", d, oursRate, ours.get(ROUNDS / 2) * 1000, scored,
                            ROUNDS * BATCH, split[0], split[1], split[2]);
                    if (!skipPublished) {
                        Collections.sort(theirs);
                        double theirRate = BATCH / theirs.get(ROUNDS / 2);
                        line += String.format(Locale.ROOT, "%n  %-10s published %.2f rewards/s (median %.0f ms; %d/%d rendered): "
                                + "service/published %.1fx (round by round %.1f-%.1fx; each published batch after the service's"
                                + " workers were idle, %.1f s on average)", "", theirRate, theirs.get(ROUNDS / 2) * 1000, rendered,
                                ROUNDS * BATCH, oursRate / theirRate, roundRatios[0], roundRatios[roundRatios.length - 1], settled);
                    }
                    // Latency is what the target is about; CPU is what a shared host pays. The idle-time work makes the
                    // next batch fast (README, the reward service) and costs CPU that the batch itself does not show.
                    double batchCpu = PerfRenderCommand.median(oursCpu);
                    double afterCpu = PerfRenderCommand.median(idleCpu);
                    line += String.format(Locale.ROOT, "%n  %-10s CPU (this JVM and every process under it; medians): service %.2f s a batch"
                            + " + %.2f s once idle after it (Python workers: ending kept job processes, making spare job processes, reading"
                            + " ahead)", "",
                            batchCpu, afterCpu);
                    if (!skipPublished) {
                        double pubCpu = PerfRenderCommand.median(theirsCpu);
                        line += String.format(Locale.ROOT, ", published %.2f s a batch: CPU per reward, published/service %.1fx",
                                pubCpu, pubCpu / (batchCpu + afterCpu));
                    }
                    out.println(line);
                }
                // The service as it runs for hours: JIT-compiled, its heap grown, its caches filled. Growth from
                // here on is what a leak would show; growth before it is the JVM and the workers warming up.
                Memory warm = Memory.now();
                out.printf(Locale.ROOT, "RSS warm (after the batches above): JVM %d MiB, JVM and workers %d MiB; Java heap in use"
                        + " after GC %d MiB%n", warm.rssMiB(), warm.treeMiB(), warm.heapMiB());

                out.printf(Locale.ROOT, "%nsustained: %d client threads, %d s (at most %d batches)%n", threads, seconds, maxBatches);
                Phase sustained = phase(http, url, domains, threads, seconds, true);
                sustained.print(out);
                if (overloadSeconds > 0) {
                    out.printf(Locale.ROOT, "%n3x overload: %d client threads without back-off, %d s%n", threads * 3, overloadSeconds);
                    Phase over = phase(http, url, domains, threads * 3, overloadSeconds, false);
                    over.print(out);
                    boolean only429 = over.statuses.keySet().stream().allMatch(s -> s.equals("200") || s.equals("429"));
                    out.println("  only 200 and 429 answers: " + (only429 ? "yes" : "NO (" + over.statuses + ")"));
                }
                // Idle again first, as at "warm": the workers end the job processes they kept stopped (up to 8 each
                // after a burst) and make their spares; without it the tree counts those processes' pages too.
                double settled = settle();
                Memory after = Memory.now();
                out.printf(Locale.ROOT, "%nRSS after (once the workers were idle, %.1f s):", settled);
                out.printf(Locale.ROOT, " JVM %d MiB (%+d since start, %+d since warm), JVM and workers %d MiB (%+d, %+d);"
                        + " Java heap in use after GC %d MiB (%+d, %+d; RSS also grows as the JVM expands its heap up to its limit)%n",
                        after.rssMiB(), after.rssMiB() - before.rssMiB(), after.rssMiB() - warm.rssMiB(), after.treeMiB(),
                        after.treeMiB() - before.treeMiB(), after.treeMiB() - warm.treeMiB(), after.heapMiB(),
                        after.heapMiB() - before.heapMiB(), after.heapMiB() - warm.heapMiB());
            }
        }
        return ExitCode.OK;
    }

    /** A batch of 8 unique candidates of a domain (near misses of the reference) against the fixed reference. */
    String batch(String domain) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode items = root.putArray("items");
        for (int i = 0; i < BATCH; i++) {
            long n = unique.incrementAndGet();
            ObjectNode it = items.addObject().put("id", "i" + i).put("domain", domain);
            if (domain.equals("svg")) {
                it.put("answer", "```svg\n" + SVG_REF.replace("r='90'", "r='" + (70 + n % 40) + "'") + "<!-- " + runTag + " " + n + " -->\n```");
                it.put("reference_code", SVG_REF);
            } else {
                it.put("answer", "```python\n" + PLOT_REF.replace("[3, 1, 2]", "[3, 1, " + (1 + n % 4) + "]") + "# " + runTag + " " + n + "\n```");
                it.put("reference_code", PLOT_REF);
            }
        }
        return root.toString();
    }

    /** One answer: its status, items scored, the others by kind, and the mean queue, render and score ms per item. */
    record Answer(int status, int scored, Map<String, Integer> problems, double[] meanMillis) {}

    static Answer post(HttpClient http, String url, String body, Duration timeout) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Integer> problems = new TreeMap<>();
        int scored = 0;
        double[] mean = new double[3];
        if (r.statusCode() == 200) {
            JsonNode all = JSON.readTree(r.body()).get("items");
            for (JsonNode it : all) {
                mean[0] += it.at("/timing/queue_ms").asDouble() / all.size();
                mean[1] += it.at("/timing/render_ms").asDouble() / all.size();
                mean[2] += it.at("/timing/score_ms").asDouble() / all.size();
                String status = it.path("status").asText();
                String kind = it.at("/render/error_kind").asText("");
                if (status.equals("scored") && !it.path("reward").isNull() && kind.isEmpty()) {
                    scored++;
                } else {
                    problems.merge(status.equals("scored") ? "render " + kind : status, 1, Integer::sum);
                }
            }
        }
        return new Answer(r.statusCode(), scored, problems, mean);
    }

    /** What one phase measured. */
    static final class Phase {
        final Map<String, List<Double>> latencies = new ConcurrentHashMap<>();
        final Map<String, Integer> statuses = new ConcurrentHashMap<>();
        final Map<String, Integer> problems = new ConcurrentHashMap<>();
        final AtomicLong scored = new AtomicLong();
        double seconds;

        void print(PrintWriter out) {
            out.printf(Locale.ROOT, "  %d rewards in %.1f s: %.1f rewards/s%n", scored.get(), seconds, scored.get() / seconds);
            for (var e : new TreeMap<>(latencies).entrySet()) {
                List<Double> l = new ArrayList<>(e.getValue());
                Collections.sort(l);
                out.printf(Locale.ROOT, "  %-10s %d batches answered 200, latency p50 %.0f ms, p99 %.0f ms%n", e.getKey(), l.size(),
                        percentile(l, 0.50) * 1000, percentile(l, 0.99) * 1000);
            }
            out.println("  answers by HTTP status: " + new TreeMap<>(statuses));
            out.println("  items not scored, by kind: " + (problems.isEmpty() ? "none" : new TreeMap<>(problems)));
        }
    }

    static double percentile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private Phase phase(HttpClient http, String url, List<String> domains, int clients, int phaseSeconds, boolean backOff)
            throws InterruptedException {
        Phase phase = new Phase();
        AtomicLong batches = new AtomicLong();
        long start = System.nanoTime();
        long end = start + phaseSeconds * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            futures.add(pool.submit(() -> {
                int k = client;
                while (System.nanoTime() < end && batches.incrementAndGet() <= maxBatches) {
                    String domain = domains.get(k++ % domains.size());
                    long t0 = System.nanoTime();
                    try {
                        Answer a = post(http, url, batch(domain), Duration.ofSeconds(30));
                        phase.statuses.merge(Integer.toString(a.status()), 1, Integer::sum);
                        if (a.status() == 200) {
                            phase.latencies.computeIfAbsent(domain, d -> Collections.synchronizedList(new ArrayList<>()))
                                    .add((System.nanoTime() - t0) / 1e9);
                            phase.scored.addAndGet(a.scored());
                            a.problems().forEach((kind, n) -> phase.problems.merge(domain + " " + kind, n, Integer::sum));
                        } else if (a.status() == 429 && backOff) {
                            Thread.sleep(200);
                        }
                    } catch (HttpTimeoutException e) {
                        phase.statuses.merge("client timeout", 1, Integer::sum);
                    } catch (IOException e) {
                        phase.statuses.merge("connection error", 1, Integer::sum);
                    } catch (InterruptedException e) {
                        return null;
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                phase.statuses.merge("client error " + e.getCause(), 1, Integer::sum);
            }
        }
        pool.shutdownNow();
        phase.seconds = (System.nanoTime() - start) / 1e9;
        return phase;
    }

    record Published(double seconds, int rendered, double cpuSeconds) {
        double rate() {
            return BATCH / seconds;
        }
    }

    /**
     * The untimed warm-up batches of one domain: back to back for WARM_SECONDS at least, then until the last WARM_WINDOW
     * batches spent less than JIT_SETTLED of their wall time compiling (the JIT's own total, summed over its threads,
     * {@link java.lang.management.CompilationMXBean}), at most the given seconds or 1,000 batches. Without that figure
     * from the JVM, WARM_SECONDS only.
     */
    static final class WarmUp {
        private static final java.lang.management.CompilationMXBean JIT = java.lang.management.ManagementFactory.getCompilationMXBean();
        private final java.util.function.LongSupplier nanos;
        private final java.util.function.LongSupplier compileMillis;
        private final long start;
        private final java.util.ArrayDeque<long[]> marks = new java.util.ArrayDeque<>();  // {nanos, compile ms}
        private int batches;

        /** On this JVM's clock and JIT. */
        WarmUp() {
            this(System::nanoTime, WarmUp::jitMillis);
        }

        /** @param compileMillis the JIT's total compilation time so far in ms, or -1 where the JVM does not report it */
        WarmUp(java.util.function.LongSupplier nanos, java.util.function.LongSupplier compileMillis) {
            this.nanos = nanos;
            this.compileMillis = compileMillis;
            this.start = nanos.getAsLong();
            marks.add(new long[] {start, compileMillis.getAsLong()});
        }

        void batchDone() {
            batches++;
            marks.add(new long[] {nanos.getAsLong(), compileMillis.getAsLong()});
            while (marks.size() > WARM_WINDOW + 1) {
                marks.removeFirst();
            }
        }

        boolean done(double maxSeconds) {
            double s = seconds();
            return s >= maxSeconds || batches >= 1000 || (s >= WARM_SECONDS && (compileMillis.getAsLong() < 0 || settled()));
        }

        /** The share of the last WARM_WINDOW batches' wall time the JIT spent compiling, or -1 before there are that many. */
        double compiling() {
            if (marks.size() < WARM_WINDOW + 1) {
                return -1;
            }
            long[] first = marks.getFirst();
            long[] last = marks.getLast();
            return (last[1] - first[1]) / Math.max(1e-9, (last[0] - first[0]) / 1e6);
        }

        private boolean settled() {
            double c = compiling();
            return c >= 0 && c < JIT_SETTLED;
        }

        int batches() {
            return batches;
        }

        double seconds() {
            return (nanos.getAsLong() - start) / 1e9;
        }

        String why(double maxSeconds) {
            if (compileMillis.getAsLong() < 0) {
                return "this JVM does not report its compilation time";
            }
            double c = compiling();
            String share = c < 0 ? "fewer than " + WARM_WINDOW + " batches" : String.format(Locale.ROOT, "%.1f%%", 100 * c);
            return (settled() ? "until" : "at most " + (int) maxSeconds + " s; not yet") + " the JIT compiling < "
                    + (int) (100 * JIT_SETTLED) + "% of the last " + WARM_WINDOW + " batches' time: " + share;
        }

        private static long jitMillis() {
            return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : -1;
        }
    }

    /** The JVM's garbage collectors by name (the launcher picks the serial one on 2 cores or fewer: README). */
    static String collectors() {
        return String.join(" + ", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
    }

    /**
     * One batch of 8 the published way: a per-call pool of {@code cores} workers (svg: one new engine for the call,
     * whose drawing processes start with it, as VinciCoder's cairosvg runs in a process pool made per reward call;
     * matplotlib: a new interpreter per item, its subprocess per sample, as {@code published/matplotlib_fresh.py} for
     * {@code perf render}), then scored by the same scorer and reward.
     */
    private Published published(String domain, RenderEngine engine, ReferenceScorer scorer, Path python, int cores)
            throws Exception {
        String reference = domain.equals("svg") ? SVG_REF : PLOT_REF;
        RenderSettings settings = RenderSettings.defaultsFor(domain);
        RenderResult ref = engine.render(new RenderRequest(domain, reference, settings));
        if (!ref.ok()) {
            throw new IllegalStateException("the perf reference does not render: " + ref.error());
        }
        List<Picture> refFrames = List.of(Picture.read(ref.lastFrame()));
        JsonNode items = JSON.readTree(batch(domain)).get("items");
        Path scratch = Files.createTempDirectory("perf-serve-reward");
        double cpu0 = PerfRenderCommand.treeCpuSeconds();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(cores);
        RenderEngine perCall = domain.equals("svg") ? engineOptions.builder().noCache().workers(cores).build() : null;
        try {
            List<Future<Boolean>> futures = new ArrayList<>();
            for (JsonNode it : items) {
                futures.add(pool.submit(() -> {
                    var extracted = dev.renderloop.render.CodeExtractor.extract(domain, it.get("answer").asText());
                    Path png = render(domain, extracted.code(), settings, python, scratch, perCall);
                    // Only what the reward needs, as the published reward computes it and as the service does by default.
                    List<Metric> metrics = scorer.score(domain, reference, refFrames, extracted.code(), png == null ? null
                            : new RenderResult(domain, null, "", List.of(png), png, png, null, 0, 0, false, ""),
                            ReferenceScorer.Families.holding(List.of(RewardSpec.vinciCoder().visualKey())));
                    Reward r = Reward.of(RewardSpec.vinciCoder(), new RewardInput(true, true, extracted.formatOk(), png != null, metrics));
                    return png != null && r.total().available();
                }));
            }
            int rendered = 0;
            for (Future<Boolean> f : futures) {
                rendered += f.get() ? 1 : 0;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            // Before the per-call renderer is closed: its drawing processes may then end without this JVM reaping
            // them, and their CPU would be counted nowhere.
            return new Published(seconds, rendered, PerfRenderCommand.treeCpuSeconds() - cpu0);
        } finally {
            pool.shutdownNow();
            if (perCall != null) {
                perCall.close();
            }
            ScratchTree.delete(scratch);
        }
    }

    private Path render(String domain, String code, RenderSettings s, Path python, Path scratch, RenderEngine perCall)
            throws Exception {
        Path dir = Files.createTempDirectory(scratch, "job");
        if (domain.equals("svg")) {
            RenderResult r = perCall.render(new RenderRequest(domain, code, s));
            if (!r.ok()) {
                return null;
            }
            return Files.copy(r.lastFrame(), dir.resolve("out.png"));
        }
        Path file = Files.writeString(dir.resolve("program.py"), code);
        Path script = dir.resolve("matplotlib_fresh.py");
        try (InputStream in = Objects.requireNonNull(PerfRenderCommand.class.getResourceAsStream("published/matplotlib_fresh.py"))) {
            Files.write(script, in.readAllBytes());
        }
        Process p = new ProcessBuilder(python.toString(), script.toString(), file.toString(), dir.resolve("out.png").toString(),
                Integer.toString(s.width()), Integer.toString(s.height()), Integer.toString(s.dpi()))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        if (!p.waitFor(s.timeout().toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return null;
        }
        return p.exitValue() == 0 ? dir.resolve("out.png") : null;
    }

    /**
     * Waits (at most {@link #SETTLE_SECONDS}) until this process's descendants, the render workers, their spare job
     * processes and the drawing JVMs, have used no CPU for {@link #SETTLE_QUIET_MILLIS} (longer than a worker waits
     * before it makes spares): what they do once idle is then done. Returns the seconds waited.
     */
    static double settle() throws InterruptedException {
        long start = System.nanoTime();
        long stop = start + (long) (SETTLE_SECONDS * 1e9);
        long last = descendantsCpuTicks();
        int quiet = 0;
        while (System.nanoTime() < stop && quiet * SETTLE_POLL_MILLIS < SETTLE_QUIET_MILLIS) {
            Thread.sleep(SETTLE_POLL_MILLIS);
            long now = descendantsCpuTicks();
            quiet = now - last <= 1 ? quiet + 1 : 0;
            last = now;
        }
        return (System.nanoTime() - start) / 1e9;
    }

    static final double SETTLE_SECONDS = 10;
    static final int SETTLE_POLL_MILLIS = 50;
    static final int SETTLE_QUIET_MILLIS = 600;

    /** CPU time of this process's descendants (with the children they reaped), in clock ticks. */
    static long descendantsCpuTicks() {
        return PerfRenderCommand.cpuTicks(ProcessHandle.current().descendants().map(ProcessHandle::pid).toList());
    }

    /** Resident sets of this JVM and of it with every process under it, and the Java heap in use after a GC. */
    record Memory(long heapMiB, long rssMiB, long treeMiB) {
        static Memory now() {
            long heap = heapAfterGcMiB();
            return new Memory(heap, rssKiB(ProcessHandle.current()) / 1024, treeRssKiB() / 1024);
        }
    }

    static long heapAfterGcMiB() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) >> 20;
    }

    /** Resident set of one process in KiB (0 where /proc cannot tell). */
    static long rssKiB(ProcessHandle p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process ended, or no /proc: counted as 0
        }
        return 0;
    }

    static long treeRssKiB() {
        ProcessHandle self = ProcessHandle.current();
        return rssKiB(self) + self.descendants().mapToLong(PerfServeRewardCommand::rssKiB).sum();
    }
}
