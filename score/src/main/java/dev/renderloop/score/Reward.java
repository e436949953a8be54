package dev.renderloop.score;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The unified reward: one number for training plus every part it was made of, for logging and audit.
 *
 * <p>The published rules are applied before the formula:
 * <ul>
 *   <li>ManimTrainer (ARITHMETIC, GEOMETRIC): empty or unparseable code scores 0 for both parts;
 *       a failed render scores 0 for the visual part (so the arithmetic default gives {@code 0.2 * CBB}).</li>
 *   <li>VinciCoder (VISUAL_FORMAT): no code block scores 0 in total; a failed render scores 0 for the
 *       visual part (so the total is {@code 0.1} when the format is right).</li>
 * </ul>
 * A part that is needed but {@linkplain Metric#available() unavailable} (say, CBB without a CodeBERT model)
 * makes the total unavailable with the same reason: it is never replaced by 0 or 1.
 *
 * @param spec       how the parts were combined
 * @param total      metric {@code reward}
 * @param components the parts after the published rules ({@code reward_code}, {@code reward_visual},
 *                   {@code reward_format} as applicable), each named after the metric it came from in {@link #explain()}
 * @param explain    one line saying which rule applied, e.g. "render failed: visual part 0"
 */
public record Reward(RewardSpec spec, Metric total, List<Metric> components, String explain) {

    public Reward {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(total, "total");
        components = List.copyOf(components);
        explain = explain == null ? "" : explain;
    }

    /** Computes the reward of one answer under {@code spec}. */
    public static Reward of(RewardSpec spec, RewardInput in) {
        List<Metric> parts = new ArrayList<>();
        if (spec.formula() == RewardSpec.Formula.VISUAL_FORMAT) {
            if (!in.hasCode()) {
                parts.add(Metric.of("reward_visual", 0));
                parts.add(Metric.of("reward_format", 0));
                return new Reward(spec, Metric.of("reward", 0), parts, "no code block: reward 0");
            }
            Metric visual = in.rendered() ? part("reward_visual", in, spec.visualKey()) : Metric.of("reward_visual", 0);
            Metric format = Metric.of("reward_format", in.formatOk() ? 1 : 0);
            parts.add(visual);
            parts.add(format);
            String why = in.rendered() ? spec.visualKey() + " as visual part" : "render failed: visual part 0";
            if (!visual.available()) {
                return new Reward(spec, Metric.unavailable("reward", visual.unavailable()), parts, why);
            }
            double total = spec.visualWeight() * visual.value() + spec.codeWeight() * format.value();
            return new Reward(spec, Metric.of("reward", total), parts, why);
        }
        Metric code;
        Metric visual;
        String why;
        if (!in.hasCode() || !in.codeParses()) {
            code = Metric.of("reward_code", 0);
            visual = Metric.of("reward_visual", 0);
            why = in.hasCode() ? "code does not parse: both parts 0" : "no code: both parts 0";
        } else {
            code = part("reward_code", in, spec.codeKey());
            visual = in.rendered() ? part("reward_visual", in, spec.visualKey()) : Metric.of("reward_visual", 0);
            why = in.rendered() ? spec.codeKey() + " as code part, " + spec.visualKey() + " as visual part"
                    : "render failed: visual part 0, " + spec.codeKey() + " as code part";
        }
        parts.add(code);
        parts.add(visual);
        for (Metric m : parts) {
            if (!m.available()) {
                return new Reward(spec, Metric.unavailable("reward", m.unavailable()), parts, why);
            }
        }
        double total = spec.formula() == RewardSpec.Formula.ARITHMETIC
                ? spec.codeWeight() * code.value() + spec.visualWeight() * visual.value()
                : Math.sqrt(Math.max(0, code.value()) * Math.max(0, visual.value()));
        return new Reward(spec, Metric.of("reward", total), parts, why);
    }

    private static Metric part(String name, RewardInput in, String key) {
        Metric m = in.metric(key);
        if (m == null) {
            return Metric.unavailable(name, "metric " + key + " was not measured");
        }
        return m.available() ? Metric.of(name, m.value()) : Metric.unavailable(name, key + ": " + m.unavailable());
    }

    /** The total and every part, total first. */
    public List<Metric> metrics() {
        List<Metric> all = new ArrayList<>();
        all.add(total);
        all.addAll(components);
        return all;
    }
}
