package dev.renderloop.policy;

/** Who said a {@link Message}. */
public enum Role {
    SYSTEM, USER, ASSISTANT;

    /** The wire name used by chat-completions APIs. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
