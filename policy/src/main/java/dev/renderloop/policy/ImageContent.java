package dev.renderloop.policy;

import java.util.Base64;
import java.util.Objects;

/**
 * An image attached to a message (a target image for image-to-code, or rendered frames for a critique).
 *
 * @param mediaType e.g. {@code image/png}
 * @param data      the encoded image; not copied, treat as read-only
 */
public record ImageContent(String mediaType, byte[] data) {
    public ImageContent {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(data, "data");
        if (data.length == 0) {
            throw new IllegalArgumentException("empty image");
        }
    }

    /** A PNG image. */
    public static ImageContent png(byte[] data) {
        return new ImageContent("image/png", data);
    }

    /** The image as a {@code data:} URL, as OpenAI-compatible servers accept it. */
    public String dataUrl() {
        return "data:" + mediaType + ";base64," + Base64.getEncoder().encodeToString(data);
    }
}
