package dev.renderloop.model;

import java.util.List;

/**
 * The model runtime (see {@link ModelRuntime}) is not on the class path, so no model can be loaded. Unchecked, and
 * deliberately neither an {@link IllegalArgumentException} nor an {@link IllegalStateException}: it is not a bad
 * input, and callers that map those to "bad command line" must not swallow it. The message names the missing jars.
 */
public final class ModelRuntimeUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> missing;

  ModelRuntimeUnavailableException(List<String> missing) {
    super("the model runtime is not installed: " + String.join(" and ", missing)
        + (missing.size() == 1 ? " is" : " are") + " not on the class path");
    this.missing = List.copyOf(missing);
  }

  /** The Maven coordinates of the missing jars. */
  public List<String> missing() {
    return missing;
  }
}
