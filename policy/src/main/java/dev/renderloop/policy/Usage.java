package dev.renderloop.policy;

/**
 * Tokens a request cost, as the backend counted them.
 *
 * @param promptTokens     prompt tokens
 * @param completionTokens completion tokens over all candidates
 */
public record Usage(long promptTokens, long completionTokens) {
    public static final Usage NONE = new Usage(0, 0);

    public Usage plus(Usage other) {
        return new Usage(promptTokens + other.promptTokens, completionTokens + other.completionTokens);
    }
}
