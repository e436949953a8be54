package dev.renderloop.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Bad inputs to the GRPO pieces are refused with messages that say what is wrong; edge cases of the advantages. */
class GrpoInputsTest {
  @Test
  void configRefusesOutOfRangeValues() {
    assertThrows(IllegalArgumentException.class,
        () -> new GrpoLossConfig(LossType.GRPO, -1, 0.2, 0.2, ImportanceSampling.TOKEN, 8, true));
    assertThrows(IllegalArgumentException.class,
        () -> new GrpoLossConfig(LossType.GRPO, 0, 0, 0.2, ImportanceSampling.TOKEN, 8, true));
    assertThrows(IllegalArgumentException.class,
        () -> new GrpoLossConfig(LossType.GRPO, 0, 0.2, Double.NaN, ImportanceSampling.TOKEN, 8, true));
    assertThrows(IllegalArgumentException.class,
        () -> new GrpoLossConfig(LossType.GRPO, 0, 0.2, 0.2, ImportanceSampling.TOKEN, 0, true));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LossType.fromTrlName("ppo"));
    assertTrue(e.getMessage().contains("dr_grpo"), e.getMessage());
    assertEquals(LossType.DR_GRPO, LossType.fromTrlName("dr_grpo"));
  }

  @Test
  void advantagesOfAUniformGroupAreZeroAndNaNIsLeftOut() {
    float[] a = GroupAdvantages.compute(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 1, 0, Float.NaN, 0}, 4,
        RewardScaling.GROUP);
    assertArrayEquals(new float[] {0, 0, 0, 0}, java.util.Arrays.copyOf(a, 4), 0f);
    assertEquals(0f, a[6], 0f, "an unscorable completion gets no advantage");
    // group 2 without the NaN: mean 1/3, unbiased std sqrt(1/3)
    assertEquals((1 - 1 / 3.0) / (Math.sqrt(1 / 3.0) + 1e-4), a[4], 1e-5);
    float[] unscaled = GroupAdvantages.compute(new float[] {1, 0}, 2, RewardScaling.NONE);
    assertArrayEquals(new float[] {0.5f, -0.5f}, unscaled, 0f);
    assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.compute(new float[5], 4, RewardScaling.GROUP));
    assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.compute(new float[0], 4, RewardScaling.GROUP));
    assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.compute(new float[4], 0, RewardScaling.GROUP));
  }

  @Test
  void lossRefusesMismatchedShapesAndMissingReference() {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      NDArray lp = m.zeros(new Shape(2, 3));
      NDArray mask = m.ones(new Shape(2, 3));
      GrpoLossConfig withKl = new GrpoLossConfig(LossType.GRPO, 0.1, 0.2, 0.2, ImportanceSampling.TOKEN, 3, true);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> GrpoLoss.compute(withKl, lp, mask, lp, null, new float[2], LossNormaliser.single(6)));
      assertTrue(e.getMessage().contains("reference"), e.getMessage());
      GrpoLossConfig noKl = new GrpoLossConfig(LossType.GRPO, 0, 0.2, 0.2, ImportanceSampling.TOKEN, 3, true);
      assertThrows(IllegalArgumentException.class,
          () -> GrpoLoss.compute(noKl, lp, m.ones(new Shape(2, 4)), lp, null, new float[2], LossNormaliser.single(6)));
      assertThrows(IllegalArgumentException.class,
          () -> GrpoLoss.compute(noKl, lp, mask, lp, null, new float[3], LossNormaliser.single(6)));
      // on-policy, zero advantages: the loss is zero
      assertEquals(0f, GrpoLoss.compute(noKl, lp, mask, lp, null, new float[2], LossNormaliser.single(6))
          .loss().getFloat(), 0f);
    }
    assertThrows(IllegalArgumentException.class, () -> new LossNormaliser(0, 1, 1));
  }
}
