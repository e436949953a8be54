package dev.renderloop.score;

import java.util.Objects;

/**
 * One named number a scorer produced, or the reason it could not be produced.
 *
 * <p>A metric that needs a component which is not configured (an embedding model, say) is
 * {@linkplain #unavailable unavailable}: it carries no value, and callers must not read one as 0 or 1.
 *
 * @param name        stable key, used in JSON output ({@code ssim}, {@code vs_paper}, {@code codebleu}, ...)
 * @param value       the value; {@code NaN} exactly when unavailable
 * @param unavailable why there is no value, or {@code null} when there is one
 */
public record Metric(String name, double value, String unavailable) {

    public Metric {
        Objects.requireNonNull(name, "name");
        if (unavailable == null && Double.isNaN(value)) {
            throw new IllegalArgumentException("metric " + name + " has no value and no reason");
        }
        if (unavailable != null) {
            value = Double.NaN;
        }
    }

    /** A metric with a value. */
    public static Metric of(String name, double value) {
        return new Metric(name, value, null);
    }

    /** A metric that could not be computed, with the reason (e.g. "no CLIP model configured"). */
    public static Metric unavailable(String name, String reason) {
        return new Metric(name, Double.NaN, Objects.requireNonNull(reason, "reason"));
    }

    /** Whether there is a value. */
    public boolean available() {
        return unavailable == null;
    }

    @Override
    public String toString() {
        return available() ? name + "=" + value : name + " unavailable (" + unavailable + ")";
    }
}
