/**
 * Training the in-process model's LoRA adapter (issue 17): the GRPO family's loss ({@link
 * dev.renderloop.trainer.GrpoLoss}, TRL's definitions of grpo, bnpo, dr_grpo and dapo, clipped ratio with
 * asymmetric epsilons, k3 KL, GSPO's sequence-level ratio), group-relative advantages ({@link
 * dev.renderloop.trainer.GroupAdvantages}), the completion-only SFT loss ({@link dev.renderloop.trainer.SftLoss}),
 * and the optimizer: {@link dev.renderloop.trainer.AdamW} (torch's), {@link dev.renderloop.trainer.LinearSchedule}
 * (transformers' linear schedule with warm-up) and {@link dev.renderloop.trainer.GradientClipping} (torch's
 * {@code clip_grad_norm_}). Each is checked against the reference implementation with fixtures made by
 * {@code trainer/fixtures/make_trl_fixtures.py}.
 */
package dev.renderloop.trainer;
