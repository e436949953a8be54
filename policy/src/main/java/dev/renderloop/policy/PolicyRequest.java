package dev.renderloop.policy;

import dev.renderloop.task.Task;
import java.util.Objects;

/**
 * What a policy is asked.
 *
 * @param task         the task (policies that need no model answer from it; model policies read only the conversation)
 * @param conversation the prompt
 * @param purpose      generation, repair or critique
 * @param n            number of candidates wanted, at least 1
 * @param sampling     sampling parameters
 */
public record PolicyRequest(Task task, Conversation conversation, Purpose purpose, int n, Sampling sampling) {
    public PolicyRequest {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(conversation, "conversation");
        Objects.requireNonNull(purpose, "purpose");
        Objects.requireNonNull(sampling, "sampling");
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
    }
}
