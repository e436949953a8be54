package dev.renderloop.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The reward service: render-and-score over HTTP for distributed RL engines (verl, OpenRLHF, TRL), one replica per
 * process, stateless apart from its caches so that replicas scale behind any load balancer. The API is documented by
 * {@code openapi.json} (in this module's resources, served at {@code GET /openapi.json}):
 * <ul>
 *   <li>{@code POST /v1/score}: a batch of items, each rendered and scored against its reference; the answer lists
 *       every item in request order with its reward, every component and metric, the render status and error kind,
 *       the format flag and the timing. A hostile item fails alone.</li>
 *   <li>{@code POST /v1/render}: render only; frames as base64 PNG, or ids for {@code GET /v1/frame?id=}.</li>
 *   <li>{@code GET /healthz} (the process answers), {@code GET /readyz} (the configured Python domains have warm
 *       workers), {@code GET /metrics} (Prometheus text).</li>
 * </ul>
 *
 * <h2>Load and time</h2>
 * Items go through one bounded {@link WorkQueue}: a batch that does not fit gets 429 with Retry-After. Each request
 * has a deadline ({@code deadline_ms}, else the configured default): items not finished by then are answered as
 * {@code deadline_exceeded}, and those not started are never rendered. Batch answers are streamed: the 200 and a
 * space every 250 ms go out while the batch runs, so a client that closes its connection is noticed on the next
 * write and its items that have not started are dropped (the JDK server gives no other sign of a closed connection).
 * Bad input (malformed JSON, unknown domain, oversized code or body, a path outside the image root) is a 4xx before
 * anything is queued. Thread-safe.
 */
public final class RewardService implements AutoCloseable {
    private static final long BEAT_NANOS = 250_000_000L;
    private static final int FRAME_IDS_KEPT = 4096;

    private final RenderEngine engine;
    private final RewardServiceConfig config;
    private final ServiceMetrics metrics = new ServiceMetrics();
    private final RewardRequests requests;
    private final ItemScorer items;
    private final WorkQueue queue;
    private final HttpService http;
    private final AtomicBoolean ready = new AtomicBoolean();
    private final Map<String, Path> frameIds = new LinkedHashMap<>(16, 0.75f, true);
    private final byte[] openApi;
    private final Thread warmUp;

    private RewardService(RenderEngine engine, ReferenceScorer scorer, RewardServiceConfig config) throws IOException {
        this.engine = engine;
        this.config = config;
        this.requests = new RewardRequests(config, engine.domains());
        this.items = new ItemScorer(engine, scorer, config, metrics);
        this.queue = new WorkQueue(config.queueCapacity(), config.concurrency(), System::nanoTime, metrics);
        try (InputStream in = RewardService.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            this.openApi = in.readAllBytes();
        }
        metrics.gauge("renderloop_reward_ready", "1 when the configured domains have warm workers.", () -> ready.get() ? 1 : 0);
        this.http = HttpService.start("serve-reward", new HttpService.Options(config.host(), config.port(),
                config.maxBodyBytes(), config.httpThreads(), config.bearerToken(), java.time.Duration.ofSeconds(10)), List.of(
                new HttpService.Route("POST", "/v1/score", false, this::score),
                new HttpService.Route("POST", "/v1/render", false, this::render),
                new HttpService.Route("GET", "/v1/frame", false, this::frame),
                new HttpService.Route("GET", "/healthz", true, ex -> ex.sendJson(200, Exchange.JSON.createObjectNode().put("status", "ok"))),
                new HttpService.Route("GET", "/readyz", true, this::readyz),
                new HttpService.Route("GET", "/openapi.json", true, ex -> ex.sendBytes(200, "application/json", openApi, Map.of()))),
                metrics);
        this.warmUp = new Thread(() -> {
            for (String d : config.warmDomains()) {
                engine.warmUp(d, config.concurrency());
            }
            ready.set(true);
        }, "serve-reward-warm-up");
        warmUp.setDaemon(true);
        warmUp.start();
    }

    /**
     * Starts a replica on {@code config.host():config.port()}. The caller keeps ownership of the engine and scorer and
     * closes them after this service.
     *
     * @throws IOException when the address cannot be bound
     * @throws IllegalArgumentException when a warm domain is not one of the engine's
     */
    public static RewardService start(RenderEngine engine, ReferenceScorer scorer, RewardServiceConfig config) throws IOException {
        for (String d : config.warmDomains()) {
            if (!engine.domains().contains(d)) {
                throw new IllegalArgumentException("cannot warm '" + d + "': the engine renders " + engine.domains());
            }
        }
        return new RewardService(engine, scorer, config);
    }

    /** The port it listens on. */
    public int port() {
        return http.port();
    }

    /** Whether the warm-up has finished. */
    public boolean ready() {
        return ready.get();
    }

    /** Its metrics (also at {@code GET /metrics}). */
    public ServiceMetrics metrics() {
        return metrics;
    }

    /** Stops taking requests, lets those in progress finish (up to 10 s), then stops the scoring threads. */
    @Override
    public void close() {
        http.close();
        queue.close();
        warmUp.interrupt();
    }

    private void readyz(Exchange ex) throws IOException {
        ObjectNode body = Exchange.JSON.createObjectNode();
        body.put("ready", ready.get());
        ObjectNode domains = body.putObject("domains");
        for (String d : engine.domains().stream().sorted().toList()) {
            var a = engine.availability(d);
            domains.put(d, a.available() ? "available" : "unavailable: " + a.detail());
        }
        body.put("queue_admitted", queue.admitted());
        body.put("queue_capacity", config.queueCapacity());
        ex.sendJson(ready.get() ? 200 : 503, body);
    }

    private void score(Exchange ex) throws HttpError, IOException {
        RewardRequests.Batch<RewardRequests.ScoreItem> batch = requests.score(ex.jsonObject());
        long admitted = System.nanoTime();
        WorkQueue.Submitted<ObjectNode> run = queue.submit(batch.items(), admitted + batch.deadline().toNanos(),
                item -> items.score(item, admitted), (item, why) -> items.skipped(item.id(), item.domain(), why));
        answer(ex, run, batch.items(), RewardRequests.ScoreItem::id, RewardRequests.ScoreItem::domain, admitted);
    }

    private void render(Exchange ex) throws HttpError, IOException {
        RewardRequests.Batch<RewardRequests.RenderItem> batch = requests.render(ex.jsonObject());
        long admitted = System.nanoTime();
        WorkQueue.Submitted<ObjectNode> run = queue.submit(batch.items(), admitted + batch.deadline().toNanos(),
                this::renderItem, (item, why) -> items.skipped(item.id(), item.domain(), why));
        answer(ex, run, batch.items(), RewardRequests.RenderItem::id, RewardRequests.RenderItem::domain, admitted);
    }

    /** Waits for the batch, writing a space every 250 ms; answers with every item in order. */
    private <T> void answer(Exchange ex, WorkQueue.Submitted<ObjectNode> run, List<T> batch, Function<T, String> id,
            Function<T, String> domain, long admitted) throws IOException {
        Exchange.JsonStream stream = ex.openJsonStream();
        boolean expired = false;
        while (!run.all().isDone()) {
            long left = run.ticket().deadlineNanos - System.nanoTime();
            if (left <= 0) {
                expired = true;
                run.ticket().abandon();  // nothing not yet started will be wanted
                break;
            }
            try {
                run.all().get(Math.min(left, BEAT_NANOS), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                try {
                    stream.beat();
                } catch (IOException gone) {
                    run.ticket().abandon();
                    metrics.counter("renderloop_reward_disconnects_total",
                            "Batches whose client closed the connection before the answer; their unstarted items were dropped.").inc();
                    throw gone;
                }
            } catch (ExecutionException e) {
                break;  // an item failed unexpectedly; answered below as an error for that item alone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                run.ticket().abandon();
                throw new IOException("interrupted while waiting for the batch", e);
            }
        }
        ObjectNode root = Exchange.JSON.createObjectNode();
        ArrayNode out = root.putArray("items");
        int late = 0;
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<ObjectNode> f = run.results().get(i);
            ObjectNode node = null;
            if (f.isDone() && !f.isCompletedExceptionally()) {
                node = f.join();
            } else if (f.isCompletedExceptionally()) {
                node = Exchange.JSON.createObjectNode().put("id", id.apply(batch.get(i))).put("status", "error")
                        .put("error", "internal error while handling this item");
            } else {
                late++;
                node = items.skipped(id.apply(batch.get(i)), domain.apply(batch.get(i)), WorkQueue.Skip.DEADLINE_EXCEEDED);
            }
            out.add(node);
        }
        root.put("deadline_exceeded", expired ? late : 0);
        root.put("total_ms", (System.nanoTime() - admitted) / 1_000_000);
        stream.finish(root);
    }

    private ObjectNode renderItem(RewardRequests.RenderItem item) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("id", item.id());
        if (item.formatOk() == null) {
            out.putNull("format_ok");
        } else {
            out.put("format_ok", item.formatOk());
        }
        RenderResult r = item.code().isBlank() ? null : items.render(item.domain(), item.code());
        out.set("render", ItemScorer.renderNode(r));
        if (r == null || !r.ok()) {
            return out;
        }
        ArrayNode frames = out.putArray(item.frameIds() ? "frame_ids" : "frames");
        for (Path f : r.frames()) {
            if (item.frameIds()) {
                frames.add(frameId(f));
            } else {
                try {
                    frames.add(Base64.getEncoder().encodeToString(Files.readAllBytes(f)));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read a rendered frame", e);
                }
            }
        }
        return out;
    }

    private String frameId(Path frame) {
        String id = UUID.randomUUID().toString();
        synchronized (frameIds) {
            frameIds.put(id, frame);
            if (frameIds.size() > FRAME_IDS_KEPT) {
                frameIds.remove(frameIds.keySet().iterator().next());
            }
        }
        return id;
    }

    private void frame(Exchange ex) throws HttpError, IOException {
        String query = ex.rawQuery();
        String id = query != null && query.startsWith("id=") ? query.substring(3) : null;
        if (id == null || id.isEmpty()) {
            throw HttpError.bad("id", "GET /v1/frame?id=ID with an id from /v1/render's frame_ids");
        }
        Path file;
        synchronized (frameIds) {
            file = frameIds.get(id);
        }
        if (file == null || !Files.isRegularFile(file)) {
            throw new HttpError(404, "not_found_error", "id", "no frame '" + id + "' (ids are kept for the last "
                    + FRAME_IDS_KEPT + " frames while the render cache keeps their files)");
        }
        ex.sendBytes(200, "image/png", Files.readAllBytes(file), Map.of());
    }
}
