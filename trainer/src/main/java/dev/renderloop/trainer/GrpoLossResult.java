package dev.renderloop.trainer;

import ai.djl.ndarray.NDArray;

/**
 * A micro-batch's GRPO loss and the metrics TRL logs beside it.
 *
 * @param loss the scalar loss on the autograd graph (call {@code backward} on it)
 * @param kl the mean per-token KL term (k3, times the ratio when bias-corrected) over completion tokens; NaN when
 *     beta is 0 (not computed, as in TRL)
 * @param clipLow share of tokens (or sequences, for a sequence-level ratio) with ratio below {@code 1 - eps} and a
 *     negative advantage
 * @param clipHigh share with ratio above {@code 1 + eps_high} and a positive advantage
 * @param clipRegion {@code clipLow + clipHigh}
 */
public record GrpoLossResult(NDArray loss, double kl, double clipLow, double clipHigh, double clipRegion) {}
