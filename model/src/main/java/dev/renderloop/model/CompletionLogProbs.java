package dev.renderloop.model;

import ai.djl.ndarray.NDArray;

/**
 * The completion tokens' log-probabilities of a batch as arrays attached to the autograd graph (see
 * {@link CausalLm#completionLogProbs}). Both arrays belong to the manager passed to that call.
 *
 * @param values {@code [rows, longest completion]}: {@code log p(token j of row b | prompt, tokens before it)},
 *     and 0 past the end of row {@code b}'s completion, so {@code values.sum()} is the total log-probability
 * @param mask {@code [rows, longest completion]}: 1 over completion tokens, 0 over padding
 * @param tokens the number of completion tokens in the batch (the sum of {@code mask})
 */
public record CompletionLogProbs(NDArray values, NDArray mask, int tokens) {}
