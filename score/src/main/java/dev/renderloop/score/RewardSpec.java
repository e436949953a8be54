package dev.renderloop.score;

import java.util.Locale;
import java.util.Objects;

/**
 * How a {@link Reward} combines its parts: which metric is the code part, which is the visual part,
 * and the formula.
 *
 * <p>The published defaults are {@link #manim()} (ManimTrainer: {@code 0.2 * CBB + 0.8 * VS}),
 * {@link #manimGeometric()} ({@code sqrt(CBB * VS)}) and {@link #vinciCoder()} ({@code 0.9 * tiled + 0.1 * format}).
 * Other metric keys may be named (e.g. {@code vs_corrected} for the visual part, or {@code codebleu}
 * where no CodeBERT model exists); the spec string then says so in every log line.
 *
 * @param formula    how parts are combined
 * @param codeKey    metric key of the code part (ignored by {@link Formula#VISUAL_FORMAT})
 * @param visualKey  metric key of the visual part
 * @param codeWeight weight of the code part (ARITHMETIC) or of the format part (VISUAL_FORMAT)
 * @param visualWeight weight of the visual part (ARITHMETIC, VISUAL_FORMAT)
 */
public record RewardSpec(Formula formula, String codeKey, String visualKey, double codeWeight, double visualWeight) {

    /** The combining formulas. */
    public enum Formula {
        /** {@code codeWeight * code + visualWeight * visual}. */
        ARITHMETIC,
        /** {@code sqrt(code * visual)}. */
        GEOMETRIC,
        /** VinciCoder: {@code visualWeight * visual + codeWeight * format}; no code block scores 0. */
        VISUAL_FORMAT
    }

    public RewardSpec {
        Objects.requireNonNull(formula, "formula");
        Objects.requireNonNull(visualKey, "visualKey");
        if (formula != Formula.VISUAL_FORMAT) {
            Objects.requireNonNull(codeKey, "codeKey");
        }
        if (!(codeWeight >= 0) || !(visualWeight >= 0)) {
            throw new IllegalArgumentException("reward weights must be non-negative, got " + codeWeight + " and " + visualWeight);
        }
    }

    /** ManimTrainer's default: {@code R = 0.2 * cbb + 0.8 * vs_paper}. */
    public static RewardSpec manim() {
        return new RewardSpec(Formula.ARITHMETIC, "cbb", "vs_paper", 0.2, 0.8);
    }

    /** ManimTrainer's geometric variant: {@code R = sqrt(cbb * vs_paper)}. */
    public static RewardSpec manimGeometric() {
        return new RewardSpec(Formula.GEOMETRIC, "cbb", "vs_paper", 0, 0);
    }

    /** VinciCoder: {@code R = 0.9 * tiled + 0.1 * format}. */
    public static RewardSpec vinciCoder() {
        return new RewardSpec(Formula.VISUAL_FORMAT, null, "tiled", 0.1, 0.9);
    }

    /**
     * Parses {@code manim}, {@code manim-geometric}, {@code vincicoder}, or
     * {@code arithmetic:CODE_KEY=W,VISUAL_KEY=W}, {@code geometric:CODE_KEY,VISUAL_KEY},
     * {@code visual-format:VISUAL_KEY=W,format=W}.
     *
     * @throws IllegalArgumentException with the accepted forms when the text is not one of them
     */
    public static RewardSpec parse(String text) {
        String t = text == null ? "" : text.trim();
        switch (t.toLowerCase(Locale.ROOT)) {
            case "manim": return manim();
            case "manim-geometric": return manimGeometric();
            case "vincicoder": return vinciCoder();
            default: break;
        }
        int colon = t.indexOf(':');
        if (colon > 0) {
            String head = t.substring(0, colon).toLowerCase(Locale.ROOT);
            String[] parts = t.substring(colon + 1).split(",");
            try {
                if (head.equals("arithmetic") && parts.length == 2) {
                    String[] c = keyWeight(parts[0]);
                    String[] v = keyWeight(parts[1]);
                    return new RewardSpec(Formula.ARITHMETIC, c[0], v[0], Double.parseDouble(c[1]), Double.parseDouble(v[1]));
                }
                if (head.equals("geometric") && parts.length == 2 && !parts[0].isBlank() && !parts[1].isBlank()) {
                    return new RewardSpec(Formula.GEOMETRIC, parts[0].trim(), parts[1].trim(), 0, 0);
                }
                if (head.equals("visual-format") && parts.length == 2) {
                    String[] v = keyWeight(parts[0]);
                    String[] f = keyWeight(parts[1]);
                    if (f[0].equals("format")) {
                        return new RewardSpec(Formula.VISUAL_FORMAT, null, v[0], Double.parseDouble(f[1]), Double.parseDouble(v[1]));
                    }
                }
            } catch (NumberFormatException e) {
                // falls through to the usage message
            }
        }
        throw new IllegalArgumentException("unknown reward spec '" + text + "'; expected manim, manim-geometric, vincicoder, "
                + "arithmetic:CODE=W,VISUAL=W, geometric:CODE,VISUAL or visual-format:VISUAL=W,format=W");
    }

    private static String[] keyWeight(String part) {
        String[] kv = part.split("=", 2);
        if (kv.length != 2 || kv[0].isBlank()) {
            throw new NumberFormatException(part);
        }
        return new String[] {kv[0].trim(), kv[1].trim()};
    }

    /** The canonical text form, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return switch (formula) {
            case ARITHMETIC -> "arithmetic:" + codeKey + "=" + codeWeight + "," + visualKey + "=" + visualWeight;
            case GEOMETRIC -> "geometric:" + codeKey + "," + visualKey;
            case VISUAL_FORMAT -> "visual-format:" + visualKey + "=" + visualWeight + ",format=" + codeWeight;
        };
    }
}
