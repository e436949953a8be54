package dev.renderloop.cli;

import java.util.List;

/**
 * The render domains a {@code --domain} option accepts: the engine's built-in renderers (a test checks the two agree).
 * An unknown name is a bad command line (exit 2); a known renderer missing from this machine is exit 3.
 */
final class RenderDomains {
    static final List<String> ALL = List.of("manim", "matplotlib", "rdkit", "svg", "smiles", "html", "tikz");

    private RenderDomains() {
    }

    /** Null when {@code domain} is known, else the message for the user. */
    static String problem(String domain) {
        return ALL.contains(domain) ? null : "unknown domain '" + domain + "'; expected one of " + ALL;
    }
}
