package dev.renderloop.model;

/**
 * One answer of {@link ChatModel#complete}.
 *
 * @param text the decoded completion, special tokens skipped, cut before the first stop string if one appeared
 * @param sample the tokens drawn (the EOS or the token that completed a stop string included) and their
 *     log-probabilities; {@code sample.tokenIds().length} is the completion's token count
 * @param finishReason why it ended
 */
public record Completion(String text, Sample sample, FinishReason finishReason) {

  /** Why a completion ended. */
  public enum FinishReason {
    /** It drew an EOS id. */
    EOS,
    /** Its text came to contain a stop string. */
    STOP_STRING,
    /** It reached the token limit. */
    LENGTH;

    /** OpenAI's {@code finish_reason}: {@code stop} for EOS and stop strings, {@code length} otherwise. */
    public String openAiName() {
      return this == LENGTH ? "length" : "stop";
    }
  }

  /** The number of tokens drawn. */
  public int completionTokens() {
    return sample.tokenIds().length;
  }
}
