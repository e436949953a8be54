package dev.renderloop.embed;

/**
 * A model or tokenizer file that cannot be used: missing, not ONNX, or with other inputs or outputs than the
 * embedder expects. The message names the file and what was expected; a command line shows it as is.
 */
public final class EmbeddingModelException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    EmbeddingModelException(String message) {
        super(message);
    }

    EmbeddingModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
