package dev.renderloop.model;

/**
 * One sequence drawn by {@link CausalLm#sample}.
 *
 * @param tokenIds the new tokens, without the prompt; the EOS token that stopped it, if any, is the last one
 * @param logProbs for each token, its log-probability under the processed distribution it was drawn from
 *     (repetition penalty, temperature and filters applied; 0 for every greedy token)
 * @param rawLogProbs for each token, its log-probability under the model's unprocessed distribution
 *     ({@code log_softmax(logits)[token]})
 * @param stoppedAtEos whether the sample ended on an EOS id rather than at {@code maxNewTokens}
 */
public record Sample(long[] tokenIds, float[] logProbs, float[] rawLogProbs, boolean stoppedAtEos) {}
