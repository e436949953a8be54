package dev.renderloop.model;

import java.io.IOException;

/**
 * A model directory that cannot be used as it is: a missing file, a config this module does not support, or a
 * weights file that is truncated, lacks a tensor or holds one of the wrong shape. The message names the file (and
 * the tensor, where one is at fault), so that the directory can be fixed without a debugger.
 */
public final class ModelFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /** A problem described by {@code message}, which names the file and, where it applies, the tensor. */
  public ModelFormatException(String message) {
    super(message);
  }

  /** A problem described by {@code message}, caused by {@code cause} (for example a JSON syntax error). */
  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
