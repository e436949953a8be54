package dev.renderloop.policy;

import java.util.List;

/**
 * A policy's answer to one request: candidates, or the reason there are none.
 *
 * @param candidates the answers, empty exactly when {@code errorKind} is set
 * @param usage      tokens spent (including failed retries where the backend reported them)
 * @param millis     wall time of the request including retries
 * @param attempts   HTTP attempts made (1 for policies without a backend)
 * @param errorKind  why there is no answer, or {@code null}
 * @param error      the error message, empty when ok
 */
public record PolicyResponse(List<Candidate> candidates, Usage usage, long millis, int attempts, PolicyErrorKind errorKind, String error) {
    public PolicyResponse {
        candidates = List.copyOf(candidates);
        usage = usage == null ? Usage.NONE : usage;
        error = error == null ? "" : error;
        if ((errorKind == null) == candidates.isEmpty()) {
            throw new IllegalArgumentException("a response has candidates or an error kind, exactly one of them");
        }
    }

    public static PolicyResponse of(List<Candidate> candidates, Usage usage, long millis, int attempts) {
        return new PolicyResponse(candidates, usage, millis, attempts, null, "");
    }

    public static PolicyResponse failure(PolicyErrorKind kind, String error, Usage usage, long millis, int attempts) {
        return new PolicyResponse(List.of(), usage, millis, attempts, kind, error);
    }

    public boolean ok() {
        return errorKind == null;
    }

    /** The first candidate's text, or empty on failure. */
    public String text() {
        return ok() ? candidates.get(0).text() : "";
    }
}
