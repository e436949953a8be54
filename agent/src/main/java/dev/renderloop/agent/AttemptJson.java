package dev.renderloop.agent;

import dev.renderloop.policy.ImageContent;
import dev.renderloop.policy.Message;
import dev.renderloop.render.RenderResult;
import dev.renderloop.score.Metric;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of attempts and runs, as written to attempt logs: everything needed to replay and audit a run.
 * Images in prompts are recorded by media type, size and SHA-256 (not their bytes).
 */
public final class AttemptJson {
    private AttemptJson() {
    }

    /** One attempt as a JSON-ready map (insertion-ordered). */
    public static Map<String, Object> of(String taskId, Strategy strategy, Attempt a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", taskId);
        m.put("strategy", strategy.wireName());
        m.put("round", a.round());
        m.put("step", a.step());
        List<Map<String, Object>> prompt = new ArrayList<>();
        for (Message msg : a.prompt().messages()) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("role", msg.role().wireName());
            pm.put("text", msg.text());
            if (!msg.images().isEmpty()) {
                List<Map<String, Object>> images = new ArrayList<>();
                for (ImageContent image : msg.images()) {
                    images.add(Map.of("media_type", image.mediaType(), "bytes", image.data().length, "sha256", sha256(image.data())));
                }
                pm.put("images", images);
            }
            prompt.add(pm);
        }
        m.put("prompt", prompt);
        m.put("answer", a.answer());
        m.put("code", a.code().code());
        m.put("code_source", a.code().source().name().toLowerCase(java.util.Locale.ROOT));
        m.put("format_ok", a.code().formatOk());
        m.put("code_blocks", a.code().blocks());
        m.put("policy_error", a.policyError() == null ? null : a.policyError().wireName());
        m.put("policy_message", a.policyMessage().isEmpty() ? null : a.policyMessage());
        m.put("render", a.render() == null ? null : render(a.render()));
        Map<String, Object> scores = new LinkedHashMap<>();
        for (Metric s : a.scores()) {
            scores.put(s.name(), s.available() ? s.value() : "unavailable: " + s.unavailable());
        }
        m.put("scores", scores);
        List<Map<String, Object>> docs = new ArrayList<>();
        for (ApiDoc d : a.docs()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("name", d.name());
            dm.put("resolved", d.resolved());
            dm.put("suggestions", d.suggestions());
            docs.add(dm);
        }
        m.put("docs", docs);
        m.put("prompt_tokens", a.promptTokens());
        m.put("completion_tokens", a.completionTokens());
        m.put("policy_millis", a.policyMillis());
        m.put("note", a.note().isEmpty() ? null : a.note());
        return m;
    }

    /** A render result's summary: status, error kind, error, frames, timings. */
    public static Map<String, Object> render(RenderResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", r.status());
        m.put("error_kind", r.errorKind() == null ? null : r.errorKind().wireName());
        m.put("error", r.ok() ? null : r.error());
        m.put("frames", r.frames().stream().map(Path::toString).toList());
        m.put("millis", r.millis());
        m.put("cached", r.cached());
        return m;
    }

    /** The run without its attempts (they are logged one by one). */
    public static Map<String, Object> summary(AgentRun run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", run.taskId());
        m.put("domain", run.domain());
        m.put("strategy", run.strategy().wireName());
        m.put("policy", run.policy());
        m.put("success", run.success());
        m.put("repairs", run.repairs());
        m.put("attempts", run.attempts().size());
        m.put("tokens", run.tokens());
        m.put("final_render", run.finalRender() == null ? null : render(run.finalRender()));
        return m;
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
