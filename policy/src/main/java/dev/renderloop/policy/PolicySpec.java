package dev.renderloop.policy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;

/**
 * A policy named by one string, as every command takes it.
 *
 * <ul>
 *   <li>{@code openai:MODEL@BASE_URL}, e.g. {@code openai:Qwen/Qwen2.5-Coder-7B-Instruct@http://localhost:8000/v1}</li>
 *   <li>{@code local:MODEL_DIR[+ADAPTER_DIR]}: the in-process model</li>
 *   <li>{@code retrieval}: the nearest training task's reference code (baseline, no model)</li>
 *   <li>{@code oracle}, {@code oracle-defects:SEED}: the reference code, optionally with one seeded defect</li>
 * </ul>
 *
 * @param kind     which family
 * @param model    model name (openai) or model directory (local), else {@code null}
 * @param location base URL (openai) or adapter directory (local, may be {@code null}), else {@code null}
 * @param seed     defect seed (oracle-defects), else {@code null}
 */
public record PolicySpec(Kind kind, String model, String location, Long seed) {

    /** Policy families. */
    public enum Kind { OPENAI, LOCAL, RETRIEVAL, ORACLE }

    public PolicySpec {
        Objects.requireNonNull(kind, "kind");
    }

    /**
     * Parses a spec string.
     *
     * @throws IllegalArgumentException naming the accepted forms when the text is not one of them
     */
    public static PolicySpec parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.equals("retrieval")) {
            return new PolicySpec(Kind.RETRIEVAL, null, null, null);
        }
        if (t.equals("oracle")) {
            return new PolicySpec(Kind.ORACLE, null, null, null);
        }
        if (t.startsWith("oracle-defects:")) {
            try {
                return new PolicySpec(Kind.ORACLE, null, null, Long.parseLong(t.substring("oracle-defects:".length())));
            } catch (NumberFormatException e) {
                throw bad(t, "the seed must be an integer");
            }
        }
        if (t.startsWith("openai:")) {
            String rest = t.substring("openai:".length());
            int at = rest.lastIndexOf('@');
            if (at <= 0 || at == rest.length() - 1) {
                throw bad(t, "expected openai:MODEL@BASE_URL");
            }
            String url = rest.substring(at + 1);
            try {
                URI uri = new URI(url);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw bad(t, "the base URL must be http(s)://host[:port]/path");
                }
            } catch (URISyntaxException e) {
                throw bad(t, "the base URL is not a URL: " + e.getMessage());
            }
            return new PolicySpec(Kind.OPENAI, rest.substring(0, at), url, null);
        }
        if (t.startsWith("local:")) {
            String rest = t.substring("local:".length());
            if (rest.isBlank()) {
                throw bad(t, "expected local:MODEL_DIR[+ADAPTER_DIR]");
            }
            int plus = rest.indexOf('+');
            return plus < 0 ? new PolicySpec(Kind.LOCAL, rest, null, null)
                    : new PolicySpec(Kind.LOCAL, rest.substring(0, plus), rest.substring(plus + 1), null);
        }
        throw bad(t, "expected openai:MODEL@BASE_URL, local:MODEL_DIR[+ADAPTER_DIR], retrieval, oracle or oracle-defects:SEED");
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("bad policy spec '" + text + "': " + why);
    }

    /** The canonical spec string, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return switch (kind) {
            case OPENAI -> "openai:" + model + "@" + location;
            case LOCAL -> "local:" + model + (location == null ? "" : "+" + location);
            case RETRIEVAL -> "retrieval";
            case ORACLE -> seed == null ? "oracle" : "oracle-defects:" + seed;
        };
    }
}
