package dev.renderloop.bench;

import java.util.Objects;

/**
 * A benchmark that refused to start, or stopped, because of its environment rather than the model: the suite's
 * renderer cannot run here, most references fail the same way, or the policy cannot be reached. Nothing the
 * environment broke is written as a result; running the same command again once it is fixed resumes.
 */
public final class BenchStoppedException extends IllegalStateException {
    /** What in the environment stopped the run. */
    public enum Reason {
        /** The renderer of a domain of the suite is not available on this machine. */
        RENDERER_UNAVAILABLE,
        /** Most reference programs fail to render for one and the same reason. */
        REFERENCES_FAIL,
        /** The policy (or critic) gave no answer for a reason of the environment, several pairs in a row. */
        POLICY_UNAVAILABLE
    }

    private final Reason reason;

    BenchStoppedException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
