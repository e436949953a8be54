package dev.renderloop.trainer;

import dev.renderloop.task.Task;
import java.util.List;

/** Scores the completions a policy wrote for one task: the GRPO reward. Implementations must be thread-safe. */
public interface CompletionScorer extends AutoCloseable {
  /**
   * @param task the task the completions answer (its reference code is the target)
   * @param completions the completions' text, as decoded from the model
   * @return one score per completion, in order
   */
  List<ScoredCompletion> score(Task task, List<String> completions);

  /** A short description for the run's provenance (reward spec, metrics, deadline). */
  String describe();

  @Override
  default void close() {}
}
