package dev.renderloop.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.renderloop.render.RenderResult;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON form of a {@link RenderResult} printed by {@code render --json} (field names are a public contract). */
final class ResultJson {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ResultJson() {
    }

    static Map<String, Object> of(RenderResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", r.status());
        m.put("domain", r.domain());
        m.put("error_kind", r.errorKind() == null ? null : r.errorKind().wireName());
        m.put("error", r.ok() ? null : r.error());
        m.put("frames", r.frames().stream().map(Path::toString).toList());
        m.put("media", r.media() == null ? null : r.media().toString());
        m.put("last_frame", r.lastFrame() == null ? null : r.lastFrame().toString());
        m.put("scene", r.scene());
        m.put("millis", r.millis());
        m.put("render_millis", r.renderMillis());
        m.put("cached", r.cached());
        m.put("log", r.log().isEmpty() ? null : r.log());
        m.put("details", new java.util.TreeMap<>(r.details()));
        return m;
    }

    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
