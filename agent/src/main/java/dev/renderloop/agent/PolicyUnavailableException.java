package dev.renderloop.agent;

import dev.renderloop.policy.PolicyErrorKind;
import java.util.Objects;

/**
 * The policy gave no answer for a reason of the environment ({@link PolicyErrorKind#environmental()}: unreachable,
 * unauthorized, unknown model, ...). The agent stops the task there: such a failure is not the model's outcome, so
 * it is neither recorded as a final answer nor "repaired".
 */
public final class PolicyUnavailableException extends RuntimeException {
    private final PolicyErrorKind kind;

    public PolicyUnavailableException(PolicyErrorKind kind, String policy, String message) {
        super(policy + " gave no answer (" + Objects.requireNonNull(kind, "kind").wireName() + "): " + message);
        this.kind = kind;
    }

    /** Why the policy gave no answer. */
    public PolicyErrorKind kind() {
        return kind;
    }
}
