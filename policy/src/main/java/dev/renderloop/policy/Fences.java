package dev.renderloop.policy;

/** The language tag a domain's code is fenced with in prompts and answers (VinciCoder's format reward reads it). */
final class Fences {
    private Fences() {
    }

    static String tag(String domain) {
        return switch (domain) {
            case "manim", "matplotlib", "rdkit" -> "python";
            case "tikz" -> "latex";
            default -> domain;
        };
    }

    static String wrap(String domain, String code) {
        String body = code.endsWith("\n") ? code : code + "\n";
        return "```" + tag(domain) + "\n" + body + "```\n";
    }
}
