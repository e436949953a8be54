package dev.renderloop.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.bench.ProgressBar;
import dev.renderloop.data.BuildStore.DefectRow;
import dev.renderloop.data.BuildStore.Reference;
import dev.renderloop.policy.Defect;
import dev.renderloop.policy.DefectSeeder;
import dev.renderloop.render.ErrorKind;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.score.Metric;
import dev.renderloop.score.Picture;
import dev.renderloop.score.VideoSimilarity;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Builds a training dataset from reference programs by rendering them.
 *
 * <h2>Stages</h2>
 * <ol>
 *   <li><b>References.</b> Every program is rendered on the engine's warm pool, {@code concurrency} at once; the
 *       last frame is copied to {@code images/SOURCE/ID.png}; the result goes to the build store.</li>
 *   <li><b>Filter.</b> In source order: programs that failed are dropped by error kind; then exact and near-duplicate
 *       code and near-identical renders ({@link Dedup}), first one kept.</li>
 *   <li><b>Defects.</b> For each kept program, up to {@code defectsPerProgram} seeded defects ({@link DefectSeeder},
 *       kinds in an order shuffled per program; the generator of defect {@code n} is seeded from the build seed, the
 *       program's id, {@code n} and the kind, so the result does not depend on thread order). Each defective program
 *       is rendered: it is kept when it fails with an error worth learning from (syntax error, runtime error, no
 *       scene), or renders with a corrected visual score below the threshold; timeouts, memory and output limits,
 *       crashes and renders that look the same are rejected, with the reason.</li>
 *   <li><b>Export.</b> Text-to-code, image-to-code and optimisation rows ({@link ChatLayout}) as JSONL and Parquet,
 *       per-row metadata, the dataset card, the samples page and {@code report.json}, always written again from the
 *       store.</li>
 * </ol>
 * Stages 1 and 3 commit per program; a build killed at any point and started again with the same sources and options
 * renders only what is missing and writes the same dataset.
 */
public final class DatasetBuilder {
    /** Render errors a model can learn to fix from the program text; others (limits, crashes) are the environment's. */
    static final Set<ErrorKind> LEARNABLE = Set.of(ErrorKind.SYNTAX_ERROR, ErrorKind.RUNTIME_ERROR, ErrorKind.NO_SCENE);
    static final Map<String, String> API_PACKAGE = Map.of("manim", "manim", "matplotlib", "matplotlib", "rdkit", "rdkit");

    private final RenderEngine engine;
    private final List<Corpus> corpora;
    private final Path out;
    private final BuildOptions options;
    private final Function<String, Collection<String>> apiNames;
    private final PrintStream progress;
    private final String command;
    private final LongSupplier ticker;

    private DatasetBuilder(Builder b) {
        this.engine = Objects.requireNonNull(b.engine, "engine");
        this.corpora = List.copyOf(b.corpora);
        if (corpora.isEmpty()) {
            throw new IllegalArgumentException("no source given");
        }
        this.out = Objects.requireNonNull(b.out, "out");
        this.options = b.options;
        this.apiNames = b.apiNames;
        this.progress = b.progress;
        this.command = b.command;
        this.ticker = b.ticker;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** One program to render, with where its files go. */
    private record Item(int seq, Corpus corpus, Task task, String uid) {
    }

    /**
     * Runs (or resumes) the build.
     *
     * @throws IllegalStateException when a domain of the sources cannot render here, or the folder holds another build
     * @throws IOException           when the output folder cannot be written
     */
    public BuildReport build() throws IOException {
        long start = ticker.getAsLong();
        List<Item> items = items();
        Set<String> domains = new java.util.TreeSet<>();
        items.forEach(i -> domains.add(i.task().domain()));
        for (String d : domains) {
            var availability = engine.availability(d);
            if (!availability.available()) {
                throw new IllegalStateException("domain " + d + " cannot render here: " + availability.detail());
            }
        }
        Files.createDirectories(out.resolve("images"));
        StringBuilder fingerprint = new StringBuilder(options.fingerprint());
        corpora.forEach(c -> fingerprint.append(" source=").append(c.name()).append(':').append(c.tasks().size()));
        Map<String, Collection<String>> names = new TreeMap<>();
        Map<String, String> apiNote = new TreeMap<>();
        for (String d : domains) {
            if (API_PACKAGE.containsKey(d) && options.defectsPerProgram() > 0) {
                try {
                    Collection<String> n = apiNames.apply(API_PACKAGE.get(d));
                    names.put(d, n);
                    apiNote.put(d, n.isEmpty() ? "none: no names given" : n.size() + " names of the installed " + API_PACKAGE.get(d));
                } catch (RuntimeException e) {
                    names.put(d, List.of());
                    apiNote.put(d, "unavailable (api_rename and api_swap have no site): " + e.getMessage());
                }
            }
        }
        int[] renders = {0};
        try (BuildStore store = BuildStore.open(out.resolve("build.duckdb"), fingerprint.toString())) {
            renderReferences(store, items, renders);
            Map<String, Reference> kept = new LinkedHashMap<>();
            Map<String, Map<String, Integer>> refRejections = new TreeMap<>();
            filter(store.references(), kept, refRejections);
            renderDefects(store, kept, names, renders);
            return Export.write(out, corpora, store.references(), kept, refRejections, store.defects(), apiNote, options,
                    renders[0], (ticker.getAsLong() - start) / 1_000_000, command);
        } catch (SQLException e) {
            throw new IOException("build store " + out.resolve("build.duckdb") + ": " + e.getMessage(), e);
        }
    }

    private List<Item> items() {
        List<Item> items = new ArrayList<>();
        Set<String> uids = new HashSet<>();
        for (Corpus c : corpora) {
            String dir = FileNames.safe(c.name());
            for (Task t : c.tasks()) {
                String uid = dir + "/" + FileNames.safe(t.id());
                if (!uids.add(uid)) {
                    throw new IllegalArgumentException("the program " + t.id() + " of " + c.name() + " appears twice (or two sources share a name)");
                }
                items.add(new Item(items.size(), c, t, uid));
            }
        }
        return items;
    }

    private void renderReferences(BuildStore store, List<Item> items, int[] renders) throws SQLException {
        Set<String> done = store.referencesDone();
        List<Item> todo = items.stream().filter(i -> !done.contains(i.uid())).toList();
        ProgressBar bar = new ProgressBar(progress, "render references", "programs", "rendered", items.size(), items.size() - todo.size(), ticker);
        parallel(todo, item -> {
            Task t = item.task();
            RenderResult r = engine.render(new RenderRequest(t.domain(), t.code(), RenderSettings.defaultsFor(t.domain())));
            environmentCheck(r);
            String image = null;
            if (r.ok() && r.lastFrame() != null) {
                image = "images/" + item.uid() + ".png";
                copy(r.lastFrame(), out.resolve(image));
            }
            store.putReference(new Reference(item.uid(), item.seq(), item.corpus().name(), t.id(), t.domain(), t.description(), t.code(),
                    r.ok() ? null : r.errorKind().wireName(), r.error(), image, r.millis()));
            synchronized (renders) {
                renders[0]++;
            }
            bar.step(r.ok(), null);
        });
        bar.finish();
    }

    private void filter(List<Reference> refs, Map<String, Reference> kept, Map<String, Map<String, Integer>> rejections) {
        Dedup dedup = new Dedup(options.codeJaccard(), options.renderSsim());
        for (Reference r : refs) {
            String reason;
            if (r.errorKind() != null) {
                reason = "render_" + r.errorKind();
            } else {
                Picture picture = null;
                if (r.image() != null) {
                    try {
                        picture = Picture.read(out.resolve(r.image()));
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read " + out.resolve(r.image()), e);
                    }
                }
                Dedup.Reason d = dedup.offer(r.domain(), r.code(), picture);
                reason = d == null ? null : d.wireName();
            }
            if (reason == null) {
                kept.put(r.uid(), r);
            } else {
                rejections.computeIfAbsent(r.domain(), k -> new TreeMap<>()).merge(reason, 1, Integer::sum);
            }
        }
    }

    private void renderDefects(BuildStore store, Map<String, Reference> kept, Map<String, Collection<String>> names, int[] renders)
            throws SQLException {
        if (options.defectsPerProgram() == 0) {
            return;
        }
        Set<String> done = store.defectsDone();
        List<Reference> todo = kept.values().stream().filter(r -> !done.contains(r.uid())).toList();
        ProgressBar bar = new ProgressBar(progress, "render defects", "programs", "kept", kept.size(), kept.size() - todo.size(), ticker);
        VideoSimilarity vs = VideoSimilarity.builder().threads(1).build();
        parallel(todo, ref -> {
            List<Picture> target = targetFrames(ref);
            List<DefectRow> rows = new ArrayList<>();
            for (DefectSeeder.Seeded s : defects(ref, names.getOrDefault(ref.domain(), List.of()))) {
                int n = rows.size();
                RenderResult r = engine.render(new RenderRequest(ref.domain(), s.code(), RenderSettings.defaultsFor(ref.domain())));
                environmentCheck(r);
                synchronized (renders) {
                    renders[0]++;
                }
                Double score = null;
                String image = null;
                String verdict;
                if (!r.ok()) {
                    verdict = LEARNABLE.contains(r.errorKind()) ? BuildReport.KEPT_ERROR : "rejected_error_" + r.errorKind().wireName();
                } else {
                    image = "images/" + ref.uid() + ".defect-" + n + ".png";
                    copy(r.lastFrame(), out.resolve(image));
                    List<Picture> frames = new ArrayList<>();
                    for (Path f : ref.domain().equals("manim") ? r.frames() : List.of(r.lastFrame())) {
                        frames.add(Picture.read(f));
                    }
                    Metric m = vs.compare(target, frames).metric("vs_corrected_ssim");
                    score = m.value();
                    verdict = score < options.visibleBelow() ? BuildReport.KEPT_VISIBLE : "rejected_renders_alike";
                }
                Defect d = s.defect();
                rows.add(new DefectRow(ref.uid(), n, d.kind().name().toLowerCase(java.util.Locale.ROOT), d.line(), d.before(), d.after(),
                        s.code(), r.ok() ? null : r.errorKind().wireName(), r.error(), score, image, verdict, r.millis()));
            }
            store.putDefects(ref.uid(), rows);
            bar.step(rows.stream().anyMatch(DefectRow::kept), null);
        });
        bar.finish();
    }

    /**
     * A renderer that turns out unusable mid-build (its worker does not start) stops the build: recording its programs
     * as failures would drop them from the dataset for a reason that is not theirs. Nothing is stored for the program,
     * so the same command renders it again once the renderer works.
     */
    private static void environmentCheck(RenderResult r) {
        if (!r.ok() && r.errorKind() == ErrorKind.RENDERER_UNAVAILABLE) {
            throw new IllegalStateException("domain " + r.domain() + " cannot render here: " + r.error());
        }
    }

    /** The target's frames: its image for stills, its frames rendered again (a cache hit) for Manim. */
    private List<Picture> targetFrames(Reference ref) throws IOException {
        if (!ref.domain().equals("manim")) {
            return List.of(Picture.read(out.resolve(ref.image())));
        }
        RenderResult r = engine.render(new RenderRequest(ref.domain(), ref.code(), RenderSettings.defaultsFor(ref.domain())));
        if (!r.ok()) {
            throw new IOException("the reference " + ref.uid() + " rendered before and fails now: " + r.errorKind().wireName());
        }
        List<Picture> frames = new ArrayList<>();
        for (Path f : r.frames()) {
            frames.add(Picture.read(f));
        }
        return frames;
    }

    /**
     * The program's defects: kinds in a per-program shuffled order; defect {@code n} starts at kind {@code n} and
     * takes the first kind with a site whose result is new. Deterministic in (seed, uid, n, kind).
     */
    List<DefectSeeder.Seeded> defects(Reference ref, Collection<String> api) {
        List<Defect.Kind> kinds = new ArrayList<>(DefectSeeder.kinds(ref.domain()));
        Collections.shuffle(kinds, new Random(mix(options.seed(), ref.uid(), -1, -1)));
        List<DefectSeeder.Seeded> out = new ArrayList<>();
        Set<String> codes = new HashSet<>();
        codes.add(ref.code());
        for (int n = 0; n < options.defectsPerProgram() && !kinds.isEmpty(); n++) {
            DefectSeeder.Seeded found = null;
            for (int k = 0; k < kinds.size() && found == null; k++) {
                Defect.Kind kind = kinds.get((n + k) % kinds.size());
                DefectSeeder.Seeded s = DefectSeeder.seed(ref.code(), ref.domain(), kind, new Random(mix(options.seed(), ref.uid(), n, kind.ordinal())), api);
                if (s != null && s.defect() != null && codes.add(s.code())) {
                    found = s;
                }
            }
            if (found == null) {
                break;
            }
            out.add(found);
        }
        return out;
    }

    private static long mix(long seed, String uid, int n, int kind) {
        long h = seed;
        for (char c : uid.toCharArray()) {
            h = h * 1_000_003L + c;
        }
        return new SplittableRandom(h * 31 + n * 1_009L + kind).nextLong();
    }

    @FunctionalInterface
    private interface Job<T> {
        void run(T item) throws Exception;
    }

    private <T> void parallel(List<T> todo, Job<T> job) throws SQLException {
        if (todo.isEmpty()) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.concurrency(), todo.size()), r -> {
            Thread t = new Thread(r, "data-build");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (T item : todo) {
                futures.add(pool.submit(() -> {
                    job.run(item);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(x -> x.cancel(true));
                    Throwable c = e.getCause();
                    if (c instanceof SQLException s) {
                        throw s;
                    }
                    if (c instanceof IOException io) {
                        throw new UncheckedIOException(io);
                    }
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException(c);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Builder; engine, sources and output folder are required. */
    public static final class Builder {
        private RenderEngine engine;
        private final List<Corpus> corpora = new ArrayList<>();
        private Path out;
        private BuildOptions options = BuildOptions.defaults();
        private Function<String, Collection<String>> apiNames = p -> List.of();
        private PrintStream progress;
        private String command = "(not given)";
        private LongSupplier ticker = System::nanoTime;

        private Builder() {
        }

        /** Renders the programs; the caller closes it. */
        public Builder engine(RenderEngine e) {
            this.engine = e;
            return this;
        }

        public Builder source(Corpus c) {
            corpora.add(Objects.requireNonNull(c));
            return this;
        }

        public Builder out(Path dir) {
            this.out = dir;
            return this;
        }

        public Builder options(BuildOptions o) {
            this.options = Objects.requireNonNull(o);
            return this;
        }

        /**
         * The installed API's public names per Python package (for the api_rename and api_swap defects), e.g.
         * {@code p -> engine.installedApi(p).names()}. May throw: the kinds then have no site and the card says why.
         * Default: no names.
         */
        public Builder apiNames(Function<String, Collection<String>> f) {
            this.apiNames = Objects.requireNonNull(f);
            return this;
        }

        /** Where the progress bar goes, or null for none. */
        public Builder progress(PrintStream p) {
            this.progress = p;
            return this;
        }

        /** The command line that made the dataset, for the card. */
        public Builder command(String c) {
            this.command = Objects.requireNonNull(c);
            return this;
        }

        public Builder ticker(LongSupplier nanos) {
            this.ticker = Objects.requireNonNull(nanos);
            return this;
        }

        public DatasetBuilder build() {
            return new DatasetBuilder(this);
        }
    }
}
