package dev.renderloop.embed;

import java.util.Objects;

/**
 * Where a loaded model actually runs, for logs and provenance.
 *
 * @param requested the device asked for
 * @param used      {@link Device#CPU} or {@link Device#CUDA}, never {@link Device#AUTO}
 * @param note      why {@code used} differs from {@code requested} under {@link Device#AUTO}, or empty
 */
public record Placement(Device requested, Device used, String note) {

    public Placement {
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(used, "used");
        Objects.requireNonNull(note, "note");
        if (used == Device.AUTO) {
            throw new IllegalArgumentException("used device must be CPU or CUDA");
        }
    }

    @Override
    public String toString() {
        return note.isEmpty() ? used.name() : used + " (" + requested + ": " + note + ")";
    }
}
