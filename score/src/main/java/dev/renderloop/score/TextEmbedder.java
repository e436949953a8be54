package dev.renderloop.score;

/**
 * A text (code) embedding model, as the code metrics see it: CodeBERT for the CodeBERT similarity.
 *
 * <p>Implementations tokenise with the model's own tokenizer and return the pooled vector the
 * published metric uses (mean of the last hidden state over non-padding tokens for CodeBERT).
 * Implementations must be safe for concurrent use.
 */
public interface TextEmbedder extends AutoCloseable {

    /** Short stable name with the model identity, recorded in provenance. */
    String name();

    /** The embedding of one text. */
    float[] embed(String text);

    @Override
    default void close() {
    }
}
