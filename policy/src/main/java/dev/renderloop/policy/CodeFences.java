package dev.renderloop.policy;

/** The language tag a domain's code is fenced with in prompts and answers (VinciCoder's format reward reads it). */
public final class CodeFences {
    private CodeFences() {
    }

    /** The tag: {@code python} for the Python domains, {@code latex} for tikz, else the domain's name. */
    public static String tag(String domain) {
        return switch (domain) {
            case "manim", "matplotlib", "rdkit" -> "python";
            case "tikz" -> "latex";
            default -> domain;
        };
    }

    /** {@code code} in a fenced block with the domain's tag. */
    public static String wrap(String domain, String code) {
        String body = code.endsWith("\n") ? code : code + "\n";
        return "```" + tag(domain) + "\n" + body + "```\n";
    }
}
