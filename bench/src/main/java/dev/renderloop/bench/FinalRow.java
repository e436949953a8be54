package dev.renderloop.bench;

import java.util.List;
import java.util.Map;

/**
 * The final answer of one (task, strategy) pair, as stored in {@code finals}.
 *
 * @param metrics     metric column -> value, {@code null} when unavailable
 * @param unavailable metric -> why it is unavailable
 */
record FinalRow(String taskId, String strategy, String level, boolean success, int repairs, int attempts, long promptTokens,
                long completionTokens, long policyMs, long renderMs, long wallMs, String finalCode, List<String> finalFrames,
                String errorKind, String error, Map<String, Double> metrics, Map<String, String> unavailable) {
}
