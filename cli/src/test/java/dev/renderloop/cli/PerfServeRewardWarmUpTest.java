package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The warm-up of {@code perf serve-reward}'s one-batch rounds on a fake clock and JIT: at least 3 s, then until the last
 * 10 batches spent less than 2% of their time compiling, at most the given seconds.
 */
class PerfServeRewardWarmUpTest {
    private long nanos;
    private long compiled;

    private PerfServeRewardCommand.WarmUp warmUp() {
        return new PerfServeRewardCommand.WarmUp(() -> nanos, () -> compiled);
    }

    /** One batch of {@code millis}, of which the JIT spent {@code compiling} ms compiling. */
    private void batch(PerfServeRewardCommand.WarmUp w, long millis, long compiling) {
        nanos += millis * 1_000_000;
        compiled += compiling;
        w.batchDone();
    }

    @Test
    void goesOnPastThreeSecondsWhileTheJitCompiles_andStopsOnceItHasSettled() {
        PerfServeRewardCommand.WarmUp w = warmUp();
        for (int i = 0; i < 10; i++) {
            assertFalse(w.done(60), "never before 3 s");
            batch(w, 300, 0);
        }
        assertTrue(w.done(60), "3 s, and 10 batches without compiling");

        PerfServeRewardCommand.WarmUp busy = warmUp();
        for (int i = 0; i < 40; i++) {
            batch(busy, 300, 90);  // 30% of the time compiling
        }
        assertFalse(busy.done(60), busy.why(60));
        assertTrue(busy.why(60).contains("not yet") && busy.why(60).contains("30.0%"), busy.why(60));
        for (int i = 0; i < 9; i++) {
            batch(busy, 300, 3);  // 1%, but the window still holds a 30% batch
        }
        assertFalse(busy.done(60), busy.why(60));
        batch(busy, 300, 3);
        assertTrue(busy.done(60), busy.why(60));
        assertTrue(busy.why(60).startsWith("until the JIT compiling < 2% of the last 10 batches' time: 1.0%"), busy.why(60));
        assertEquals(50, busy.batches());
    }

    @Test
    void stopsAtItsLimitWhenTheJitNeverSettles_andAtThreeSecondsWithoutAJitFigure() {
        PerfServeRewardCommand.WarmUp w = warmUp();
        while (!w.done(5)) {
            batch(w, 250, 100);
        }
        assertEquals(5.0, w.seconds(), 1e-9);
        assertTrue(w.why(5).startsWith("at most 5 s; not yet"), w.why(5));

        compiled = -1;
        PerfServeRewardCommand.WarmUp blind = new PerfServeRewardCommand.WarmUp(() -> nanos, () -> -1);
        batch(blind, 2_900, 0);
        assertFalse(blind.done(60));
        batch(blind, 100, 0);
        assertTrue(blind.done(60));
        assertEquals("this JVM does not report its compilation time", blind.why(60));
    }
}
