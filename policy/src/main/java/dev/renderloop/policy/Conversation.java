package dev.renderloop.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The messages a policy answers, oldest first.
 *
 * @param messages at least one message
 */
public record Conversation(List<Message> messages) {
    public Conversation {
        messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a conversation needs at least one message");
        }
    }

    /** A system prompt and one user message. */
    public static Conversation of(String system, Message user) {
        return new Conversation(List.of(Message.system(system), user));
    }

    /** This conversation with {@code more} appended. */
    public Conversation plus(Message... more) {
        List<Message> all = new ArrayList<>(messages);
        all.addAll(List.of(more));
        return new Conversation(all);
    }

    /** The last message. */
    public Message last() {
        return messages.get(messages.size() - 1);
    }
}
