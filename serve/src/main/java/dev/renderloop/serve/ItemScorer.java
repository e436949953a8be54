package dev.renderloop.serve;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.render.ErrorKind;
import dev.renderloop.render.ManimMode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.score.Metric;
import dev.renderloop.score.Reward;
import dev.renderloop.score.RewardInput;
import dev.renderloop.score.RewardSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renders and scores one item with the project's own code paths: the program extracted as the agent extracts it
 * ({@link RewardRequests}), the render through the {@link RenderEngine} (warm workers, sandbox, disk cache), every
 * metric through the agent's {@link ReferenceScorer} against the reference pictures of {@link ReferenceRenders}, and
 * the reward through score's {@link Reward} as {@code renderloop score} computes it. A failure of the item's program
 * is a scored result (the published zeros), never an exception; an unexpected exception is an {@code error} result
 * for this item alone. Thread-safe.
 */
final class ItemScorer {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final RenderEngine engine;
    private final ReferenceScorer scorer;
    private final ReferenceRenders references;
    private final Duration renderTimeout;
    private final ServiceMetrics.Counter renders;
    private final ServiceMetrics.Counter renderCache;
    private final ServiceMetrics.Histogram renderSeconds;
    private final ServiceMetrics.Counter items;
    private final ServiceMetrics.Histogram itemSeconds;
    private final ServiceMetrics.Counter workerStarts;
    private final ServiceMetrics.Counter retries;
    private final Map<String, Integer> startsSeen = new ConcurrentHashMap<>();

    ItemScorer(RenderEngine engine, ReferenceScorer scorer, RewardServiceConfig config, ServiceMetrics metrics) {
        this.engine = engine;
        this.scorer = scorer;
        this.renderTimeout = config.renderTimeout();
        this.renders = metrics.counter("renderloop_renders_total", "Renders of candidate programs, by domain and status "
                + "(ok or the error kind).", "domain", "status");
        this.renderCache = metrics.counter("renderloop_render_cache_total", "Candidate renders answered from the render "
                + "cache (hit) or rendered (miss).", "result");
        this.renderSeconds = metrics.histogram("renderloop_render_seconds", "Render time of candidate programs, by domain.",
                ServiceMetrics.LATENCY_BUCKETS, "domain");
        this.items = metrics.counter("renderloop_reward_items_total", "Items answered, by domain and outcome.", "domain", "outcome");
        this.itemSeconds = metrics.histogram("renderloop_reward_item_seconds", "Time to render and score one item, by domain.",
                ServiceMetrics.LATENCY_BUCKETS, "domain");
        this.workerStarts = metrics.counter("renderloop_worker_starts_total", "Python worker processes started, by domain; "
                + "starts beyond the pool size are restarts (after a crash, a timeout or recycling).", "domain");
        this.retries = metrics.counter("renderloop_render_retries_total", "Renders (candidates and references) tried "
                + "again because their worker died under them (renderer_crashed), by domain.", "domain");
        this.references = new ReferenceRenders(this::renderRetryingCrash, config.referenceCacheSize(), metrics);
        metrics.gauge("renderloop_reference_cache_entries", "Decoded references held by this replica.", references::size);
    }

    /**
     * The render settings of a domain: its defaults in Manim's reward mode (only the sampled frames are drawn, no
     * video; references and candidates alike), with the timeout capped by the service's configuration.
     */
    RenderSettings settings(String domain) {
        RenderSettings s = RenderSettings.defaultsFor(domain).withManimMode(ManimMode.REWARD);
        return renderTimeout != null && s.timeout().compareTo(renderTimeout) > 0 ? s.withTimeout(renderTimeout) : s;
    }

    /**
     * Renders a program through the engine. A render whose worker died under it ({@code renderer_crashed}: the worker
     * was killed or crashed from outside the job, since a job cannot signal its worker) says nothing about the
     * program, so it is tried once more on a fresh worker (the pool replaces the dead one); a second crash is returned
     * as it is. Used for candidates and references alike.
     */
    RenderResult renderRetryingCrash(String domain, String code) {
        RenderRequest request = new RenderRequest(domain, code, settings(domain));
        RenderResult r = engine.render(request);
        if (r.errorKind() == ErrorKind.RENDERER_CRASHED) {
            retries.inc(domain);
            r = engine.render(request);
        }
        return r;
    }

    /**
     * Renders a candidate program ({@link #renderRetryingCrash}), counting it. A crash on both tries is answered by
     * {@link #score} as an {@code error} item, never as the program's reward.
     */
    RenderResult render(String domain, String code) {
        RenderResult r = renderRetryingCrash(domain, code);
        renders.inc(domain, r.ok() ? "ok" : r.errorKind().wireName());
        renderCache.inc(r.cached() ? "hit" : "miss");
        renderSeconds.observe(r.millis() / 1000.0, domain);
        int started = engine.workersStarted(domain);
        Integer before = startsSeen.put(domain, started);
        if (started > (before == null ? 0 : before)) {
            workerStarts.add(started - (before == null ? 0 : before), domain);
        }
        return r;
    }

    /** One item's answer; see the OpenAPI file's {@code ScoreResult}. */
    ObjectNode score(RewardRequests.ScoreItem item, long admittedNanos) {
        long start = System.nanoTime();
        ObjectNode out = NODES.objectNode();
        out.put("id", item.id());
        try {
            ReferenceRenders.Reference ref = item.image() != null ? references.ofImage(item.image().png())
                    : references.ofCode(item.domain(), item.referenceCode());
            long referenceDone = System.nanoTime();
            if (!ref.ok()) {
                out.put("status", "reference_failed");
                out.put("error", ref.failure());
                putFormat(out, item.formatOk());
                timing(out, admittedNanos, start, referenceDone, 0, System.nanoTime());
                items.inc(item.domain(), "reference_failed");
                return out;
            }
            RenderResult render = item.code().isBlank() ? null : render(item.domain(), item.code());
            long renderDone = System.nanoTime();
            if (render != null && render.errorKind() == ErrorKind.RENDERER_CRASHED) {
                out.put("status", "error");
                out.put("error", "the renderer crashed twice on this item (its worker died; not the program's failure): "
                        + render.errorTail(3));
                putFormat(out, item.formatOk());
                out.set("render", renderNode(render));
                timing(out, admittedNanos, start, referenceDone, renderDone - referenceDone, System.nanoTime());
                items.inc(item.domain(), "renderer_crashed");
                itemSeconds.observe((System.nanoTime() - start) / 1e9, item.domain());
                return out;
            }
            List<Metric> metrics = scorer.score(item.domain(), item.referenceCode(), ref.frames(), item.code(), render,
                    item.allMetrics() ? ReferenceScorer.Families.ALL : families(item.spec()));
            boolean parses = metrics.stream().filter(m -> m.name().equals("syntax_ok")).findFirst()
                    .map(m -> !m.available() || m.value() == 1).orElse(true);
            // Code given directly has no answer format to check: the format part counts as met (documented in the API).
            boolean formatOk = item.formatOk() == null || item.formatOk();
            Reward reward = Reward.of(item.spec(), new RewardInput(!item.code().isBlank(), parses, formatOk,
                    render != null && render.ok(), metrics));
            out.put("status", "scored");
            if (reward.total().available()) {
                out.put("reward", reward.total().value());
            } else {
                out.putNull("reward");
                out.put("reward_unavailable", reward.total().unavailable());
            }
            out.put("reward_spec", item.spec().toString());
            out.put("reward_rule", reward.explain());
            ObjectNode components = out.putObject("components");
            for (Metric m : reward.components()) {
                putMetric(components, m);
            }
            ObjectNode all = out.putObject("metrics");
            ObjectNode unavailable = NODES.objectNode();
            for (Metric m : metrics) {
                putMetric(all, m);
                if (!m.available()) {
                    unavailable.put(m.name(), m.unavailable());
                }
            }
            for (Metric m : reward.components()) {
                if (!m.available()) {
                    unavailable.put(m.name(), m.unavailable());
                }
            }
            out.set("unavailable", unavailable);
            putFormat(out, item.formatOk());
            out.set("render", renderNode(render));
            timing(out, admittedNanos, start, referenceDone, renderDone - referenceDone, System.nanoTime());
            items.inc(item.domain(), render == null ? "no_code" : render.ok() ? "rendered" : "render_failed");
        } catch (RuntimeException e) {
            out.removeAll();
            out.put("id", item.id());
            out.put("status", "error");
            out.put("error", "internal error while scoring this item: " + e);
            items.inc(item.domain(), "error");
        }
        itemSeconds.observe((System.nanoTime() - start) / 1e9, item.domain());
        return out;
    }

    /** The metric families a reward spec's parts come from (its code part only where the formula uses one). */
    static ReferenceScorer.Families families(RewardSpec spec) {
        List<String> keys = new java.util.ArrayList<>(List.of(spec.visualKey()));
        if (spec.formula() != RewardSpec.Formula.VISUAL_FORMAT && spec.codeKey() != null) {
            keys.add(spec.codeKey());
        }
        return ReferenceScorer.Families.holding(keys);
    }

    /** An item that never ran. */
    ObjectNode skipped(String id, String domain, WorkQueue.Skip why) {
        ObjectNode out = NODES.objectNode();
        out.put("id", id);
        out.put("status", why.wireName());
        out.put("error", why == WorkQueue.Skip.DEADLINE_EXCEEDED ? "the request's deadline passed before this item "
                + "finished" : "the client went away before this item started");
        items.inc(domain, why.wireName());
        return out;
    }

    static ObjectNode renderNode(RenderResult r) {
        ObjectNode n = NODES.objectNode();
        if (r == null) {
            n.put("status", "no_code");
            n.putNull("error_kind");
            return n;
        }
        n.put("status", r.status());
        if (r.ok()) {
            n.putNull("error_kind");
        } else {
            n.put("error_kind", r.errorKind().wireName());
            n.put("error", r.errorTail(10));
        }
        n.put("cached", r.cached());
        n.put("render_ms", r.renderMillis());
        n.put("frames", r.frames().size());
        return n;
    }

    private static final Set<String> COUNTS = Set.of("syntax_ok", "blank");

    private static void putMetric(ObjectNode into, Metric m) {
        if (!m.available() || !Double.isFinite(m.value())) {
            into.putNull(m.name());
        } else if (COUNTS.contains(m.name())) {
            into.put(m.name(), (int) m.value());
        } else {
            into.put(m.name(), m.value());
        }
    }

    private static void putFormat(ObjectNode out, Boolean formatOk) {
        if (formatOk == null) {
            out.putNull("format_ok");
        } else {
            out.put("format_ok", formatOk);
        }
    }

    private static void timing(ObjectNode out, long admitted, long start, long referenceDone, long renderNanos, long end) {
        ObjectNode t = out.putObject("timing");
        t.put("queue_ms", (start - admitted) / 1_000_000);
        t.put("reference_ms", (referenceDone - start) / 1_000_000);
        t.put("render_ms", renderNanos / 1_000_000);
        t.put("score_ms", Math.max(0, end - referenceDone - renderNanos) / 1_000_000);
        t.put("total_ms", (end - admitted) / 1_000_000);
    }
}
