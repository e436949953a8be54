package dev.renderloop.model;

/**
 * A chat template that cannot turn a conversation into a prompt: either the template refused it on purpose
 * ({@code raise_exception}, e.g. a role it does not know; the caller's input is at fault) or it uses Jinja this
 * module cannot render exactly (the model directory is at fault). The message names the template's file.
 */
public final class ChatTemplateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Whether the template refused the conversation or could not be rendered at all. */
  public enum Kind {
    /** The template called {@code raise_exception}: the conversation is not one it accepts. */
    REFUSED,
    /** The template uses syntax, a filter, a function or a method this renderer lacks. */
    UNSUPPORTED
  }

  private final Kind kind;

  ChatTemplateException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /** Why rendering failed. */
  public Kind kind() {
    return kind;
  }
}
