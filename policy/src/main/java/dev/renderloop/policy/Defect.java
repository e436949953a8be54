package dev.renderloop.policy;

/**
 * A synthetic defect seeded into reference code by the oracle policy, to exercise metrics and the repair loop.
 *
 * @param kind   what was broken
 * @param line   1-based line of the change
 * @param before the text replaced
 * @param after  the text put in its place (empty for a removed line)
 */
public record Defect(Kind kind, int line, String before, String after) {

    /** The defect kinds, each a mistake language models make. */
    public enum Kind {
        /** A misspelt API name (a hallucinated class or function). Fails to render. */
        API_TYPO,
        /** A keyword argument the API does not take. Fails to render. */
        WRONG_KEYWORD,
        /** An import line removed. Fails to render. */
        REMOVED_IMPORT,
        /** One colour constant replaced by another. Renders, looks wrong. */
        WRONG_COLOUR
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " at line " + line + ": '" + before + "' -> '" + after + "'";
    }
}
