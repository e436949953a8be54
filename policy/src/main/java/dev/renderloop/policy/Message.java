package dev.renderloop.policy;

import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation.
 *
 * @param role   who speaks
 * @param text   the text, possibly empty when images carry the content
 * @param images attached images, in order (only user messages carry images)
 */
public record Message(Role role, String text, List<ImageContent> images) {
    public Message {
        Objects.requireNonNull(role, "role");
        text = text == null ? "" : text;
        images = List.copyOf(images == null ? List.of() : images);
    }

    public static Message system(String text) {
        return new Message(Role.SYSTEM, text, List.of());
    }

    public static Message user(String text) {
        return new Message(Role.USER, text, List.of());
    }

    public static Message user(String text, List<ImageContent> images) {
        return new Message(Role.USER, text, images);
    }

    public static Message assistant(String text) {
        return new Message(Role.ASSISTANT, text, List.of());
    }
}
