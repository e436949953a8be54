package dev.renderloop.agent;

import dev.renderloop.render.RenderResult;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of one task under one strategy.
 *
 * @param taskId     the task
 * @param domain     its domain
 * @param strategy   the strategy
 * @param policy     the policy's spec string
 * @param attempts   every attempt, in order
 * @param finalCode  the code returned: the first that rendered (and passed the critique, for ritl-vis), else the last
 * @param finalRender the render of {@code finalCode}, or {@code null} when there was no code to render
 * @param repairs    repair rounds used
 */
public record AgentRun(String taskId, String domain, Strategy strategy, String policy, List<Attempt> attempts,
                       String finalCode, RenderResult finalRender, int repairs) {
    public AgentRun {
        Objects.requireNonNull(taskId, "taskId");
        attempts = List.copyOf(attempts);
        finalCode = finalCode == null ? "" : finalCode;
    }

    /** Whether the final code rendered (the task counts towards RSR). */
    public boolean success() {
        return finalRender != null && finalRender.ok();
    }

    /** Prompt plus completion tokens over all attempts. */
    public long tokens() {
        return attempts.stream().mapToLong(a -> a.promptTokens() + a.completionTokens()).sum();
    }
}
