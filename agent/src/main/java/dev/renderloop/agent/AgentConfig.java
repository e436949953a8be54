package dev.renderloop.agent;

import dev.renderloop.policy.Sampling;
import java.util.Objects;

/**
 * Settings of an agent run.
 *
 * @param maxRepairs  K: repair rounds after the first render (paper's best: 3)
 * @param sampling    sampling for every request
 * @param errorLines  lines of the cleaned render error sent back (paper: 10)
 * @param maxDocNames at most this many names are documented per request (keeps prompts bounded)
 */
public record AgentConfig(int maxRepairs, Sampling sampling, int errorLines, int maxDocNames) {
    public AgentConfig {
        Objects.requireNonNull(sampling, "sampling");
        if (maxRepairs < 0 || errorLines < 1 || maxDocNames < 1) {
            throw new IllegalArgumentException("maxRepairs >= 0, errorLines >= 1 and maxDocNames >= 1 required");
        }
    }

    /** K = 3, 10 error lines, 30 documented names, the given sampling. */
    public static AgentConfig defaults(Sampling sampling) {
        return new AgentConfig(3, sampling, 10, 30);
    }
}
