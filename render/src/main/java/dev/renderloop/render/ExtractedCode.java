package dev.renderloop.render;

import java.util.Objects;

/**
 * Code taken from a model's answer.
 *
 * @param code     the extracted program (empty when the answer holds none)
 * @param formatOk true when it came from a fenced block tagged with the domain's language, the
 *                 condition of VinciCoder's format reward
 * @param source   where in the answer the code was found
 * @param blocks   how many fenced blocks the answer had
 */
public record ExtractedCode(String code, boolean formatOk, Source source, int blocks) {

    /** Where the code came from, best first. */
    public enum Source {
        /** The last fenced block with the domain's language tag. */
        FENCED_TAGGED,
        /** The last fenced block without a language tag. */
        FENCED_UNTAGGED,
        /** The last fenced block, with another language's tag. */
        FENCED_OTHER,
        /** The last {@code <code>...</code>} tagged block (the ManimAgent prompt format). */
        CODE_TAG,
        /** A fenced block that was never closed (an answer cut off mid-block). */
        UNCLOSED_FENCE,
        /** No markup: the domain's own syntax found in the bare answer. */
        BARE,
        /** Nothing usable. */
        NONE
    }

    public ExtractedCode {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(source, "source");
    }
}
