package dev.renderloop.cli;

import dev.renderloop.trainer.LossType;
import dev.renderloop.trainer.RewardScaling;
import java.util.List;
import java.util.Locale;

/**
 * The hyperparameters a {@code --preset} sets; explicit flags override each of them.
 *
 * <ul>
 *   <li>{@code trl} (the default): TRL 1.x's {@code SFTConfig}/{@code GRPOConfig} defaults (SFT lr 2e-5, max length
 *       1024, no warm-up; GRPO lr 1e-6, beta 0, one policy iteration, eps 0.2, loss {@code dapo}, temperature 1,
 *       completions up to 512 tokens, prompts not limited, rewards scaled by the group std, bias-corrected KL), with LoRA r 8 / alpha 16
 *       on all seven projections.</li>
 *   <li>{@code manimtrainer}: the ManimTrainer paper (../shared/reference/seed-systems.md): LoRA r 8, alpha 16,
 *       dropout 0, q/k/v/o/gate/up/down; SFT lr 2e-6, linear schedule, 10 % warm-up, max length 2048; GRPO G 8,
 *       4 policy iterations, beta 0.005 (plain k3 KL), eps 0.2, {@code dr_grpo}, lr 5e-7, temperature 0.9, top-p
 *       0.9, min-p 0.1, prompts up to 409 tokens, completions up to 1638. The paper does not say whether advantages
 *       were divided by the group std; TRL's default (divided) is kept.</li>
 * </ul>
 */
record TrainPreset(String name, int loraRank, double loraAlpha, double loraDropout, double sftLr, double sftWarmupRatio,
        int sftMaxLength, double grpoLr, double grpoWarmupRatio, int group, int iterations, double beta, double epsilon,
        double epsilonHigh, LossType lossType, RewardScaling scaling, boolean biasCorrectedKl, double temperature,
        double topP, double minP, int maxPromptLength, int maxCompletionLength) {

    static final List<String> NAMES = List.of("trl", "manimtrainer");

    static TrainPreset trl() {
        return new TrainPreset("trl", 8, 16, 0, 2e-5, 0, 1024, 1e-6, 0, 8, 1, 0, 0.2, 0.2, LossType.DAPO, RewardScaling.GROUP,
                true, 1.0, 1.0, 0, Integer.MAX_VALUE, 512);
    }

    static TrainPreset manimTrainer() {
        return new TrainPreset("manimtrainer", 8, 16, 0, 2e-6, 0.1, 2048, 5e-7, 0, 8, 4, 0.005, 0.2, 0.2, LossType.DR_GRPO,
                RewardScaling.GROUP, false, 0.9, 0.9, 0.1, 409, 1638);
    }

    /** @throws IllegalArgumentException naming the known presets */
    static TrainPreset named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "trl" -> trl();
            case "manimtrainer" -> manimTrainer();
            default -> throw new IllegalArgumentException("unknown preset '" + name + "'; expected one of " + NAMES);
        };
    }
}
