package dev.renderloop.model;

import java.util.Set;

/**
 * How {@link CausalLm#sample} picks each new token. The logits are processed in the order transformers'
 * {@code generate()} uses when sampling: repetition penalty, temperature, top-k, top-p, min-p; the token is then
 * drawn from the softmax of what is left.
 *
 * @param temperature divides the logits; 0 means greedy (the arg-max after the repetition penalty, the lowest id
 *     on a tie); must be finite and not negative
 * @param topK keep only the {@code topK} highest logits (ties with the last kept are kept too); 0 turns it off
 * @param topP keep the smallest set of highest-probability tokens whose mass reaches {@code topP}, in (0, 1];
 *     1 turns it off
 * @param minP drop tokens whose probability is below {@code minP} times the highest one, in [0, 1]; 0 turns it
 *     off
 * @param repetitionPenalty divides the positive logits and multiplies the negative ones of every token seen
 *     so far (prompt included), once per token, like transformers; must be positive; 1 turns it off
 * @param maxNewTokens the most tokens a sample gets, at least 1
 * @param eosTokenIds a sample stops after drawing one of these (the id is kept in the sample); may be empty
 * @param seed the seed every sample's random stream is derived from
 */
public record SamplingParams(double temperature, int topK, double topP, double minP, double repetitionPenalty,
    int maxNewTokens, Set<Long> eosTokenIds, long seed) {

  /** Validates every field; the message names the field and the value. */
  public SamplingParams {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and >= 0 (0: greedy), got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0 (0: off), got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in (0, 1] (1: off), got " + topP);
    }
    if (!(minP >= 0 && minP <= 1)) {
      throw new IllegalArgumentException("minP must be in [0, 1] (0: off), got " + minP);
    }
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new IllegalArgumentException("repetitionPenalty must be finite and > 0 (1: off), got "
          + repetitionPenalty);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
    }
    if (eosTokenIds == null) {
      throw new IllegalArgumentException("eosTokenIds must not be null (use an empty set)");
    }
    eosTokenIds = Set.copyOf(eosTokenIds);
  }

  /** Plain sampling at temperature 1 with every filter off. */
  public static SamplingParams of(int maxNewTokens, Set<Long> eosTokenIds, long seed) {
    return new SamplingParams(1.0, 0, 1.0, 0.0, 1.0, maxNewTokens, eosTokenIds, seed);
  }

  /** Greedy decoding (temperature 0) with every filter off. */
  public static SamplingParams greedy(int maxNewTokens, Set<Long> eosTokenIds) {
    return new SamplingParams(0.0, 0, 1.0, 0.0, 1.0, maxNewTokens, eosTokenIds, 0);
  }

  /** A copy with another temperature. */
  public SamplingParams withTemperature(double t) {
    return new SamplingParams(t, topK, topP, minP, repetitionPenalty, maxNewTokens, eosTokenIds, seed);
  }

  /** A copy with other top-k, top-p and min-p filters. */
  public SamplingParams withFilters(int k, double p, double min) {
    return new SamplingParams(temperature, k, p, min, repetitionPenalty, maxNewTokens, eosTokenIds, seed);
  }

  /** A copy with another repetition penalty. */
  public SamplingParams withRepetitionPenalty(double penalty) {
    return new SamplingParams(temperature, topK, topP, minP, penalty, maxNewTokens, eosTokenIds, seed);
  }

  /** A copy with another seed. */
  public SamplingParams withSeed(long s) {
    return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, maxNewTokens, eosTokenIds, s);
  }
}
