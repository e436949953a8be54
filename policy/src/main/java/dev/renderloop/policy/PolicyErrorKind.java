package dev.renderloop.policy;

/** Why a policy gave no answer. Retryable kinds were retried before they are reported. */
public enum PolicyErrorKind {
    /** The request was rejected (HTTP 400 other than context length, 422). */
    BAD_REQUEST(false),
    /** Missing or wrong API key (HTTP 401, 403). */
    UNAUTHORIZED(false),
    /** The server does not serve this model (HTTP 404). */
    UNKNOWN_MODEL(false),
    /** Prompt plus completion exceed the model's context. */
    CONTEXT_TOO_LONG(false),
    /** HTTP 429 after every retry. */
    RATE_LIMITED(true),
    /** HTTP 5xx after every retry. */
    SERVER_ERROR(true),
    /** No answer within the request timeout, after every retry. */
    TIMEOUT(true),
    /** Connection refused or reset, after every retry. */
    TRANSPORT(true),
    /** The server answered something that is not a chat completion. */
    MALFORMED_RESPONSE(false),
    /** A well-formed completion without choices. */
    EMPTY_CHOICES(false),
    /** The policy cannot do what was asked (e.g. a critique from the retrieval baseline). */
    UNSUPPORTED(false);

    private final boolean retryable;

    PolicyErrorKind(boolean retryable) {
        this.retryable = retryable;
    }

    /** Whether the client retries this kind with backoff. */
    public boolean retryable() {
        return retryable;
    }

    /**
     * Whether this failure says nothing about the model: the server could not be reached, did not answer in time,
     * refused the caller or does not serve the model. Such a failure is no outcome of the model's, and a benchmark
     * or a repair loop must not score it as one (nor "repair" an answer that never came).
     */
    public boolean environmental() {
        return switch (this) {
            case UNAUTHORIZED, UNKNOWN_MODEL, RATE_LIMITED, SERVER_ERROR, TIMEOUT, TRANSPORT -> true;
            case BAD_REQUEST, CONTEXT_TOO_LONG, MALFORMED_RESPONSE, EMPTY_CHOICES, UNSUPPORTED -> false;
        };
    }

    /** The snake-case name used in logs and JSON. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
