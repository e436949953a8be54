package dev.renderloop.model;

import java.util.Objects;

/**
 * One turn of a chat, as a chat template reads it ({@code {"role": ..., "content": ...}}). Text only: image parts
 * have no place in a text-only decoder's prompt.
 *
 * @param role {@code system}, {@code user}, {@code assistant} or whatever else the template accepts (templates refuse
 *     roles they do not know through {@code raise_exception})
 * @param content the text, possibly empty
 */
public record ChatMessage(String role, String content) {
  /** Checks that neither field is null. */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  /** A system message. */
  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  /** A user message. */
  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  /** An assistant message. */
  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }
}
