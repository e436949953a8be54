package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RenderSettingsTest {

    @Test
    void manimDefaults_arePublishedLowQualitySettings() {
        RenderSettings s = RenderSettings.defaultsFor("manim");
        assertEquals(854, s.width());
        assertEquals(480, s.height());
        assertEquals(15.0, s.fps());
        assertEquals(5.0, s.sampleFps());
        assertEquals(Duration.ofSeconds(60), s.timeout());
    }

    @Test
    void matplotlibDefaults_areAFixedFigure() {
        RenderSettings s = RenderSettings.defaultsFor("matplotlib");
        assertEquals(640, s.width());
        assertEquals(480, s.height());
        assertEquals(100, s.dpi());
    }

    @Test
    void invalidValues_failEagerlyWithTheValue() {
        var e = assertThrows(IllegalArgumentException.class, () -> RenderSettings.MANIM_DEFAULTS.withSize(0, 480));
        assertEquals("width must be in 1..8192, got 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RenderSettings.MANIM_DEFAULTS.withTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> RenderSettings.MANIM_DEFAULTS.withMemoryBytes(1024));
        assertThrows(IllegalArgumentException.class, () -> RenderSettings.MANIM_DEFAULTS.withScene("os.system('x')"));
    }

    @Test
    void wireForm_hasFixedKeyOrderAndCpuLimitAboveWallLimit() {
        var wire = RenderSettings.MANIM_DEFAULTS.withTimeout(Duration.ofSeconds(10)).toWire();
        assertEquals("width", wire.keySet().iterator().next());
        assertEquals(10.0, wire.get("timeout_seconds"));
        assertTrue((Long) wire.get("cpu_seconds") > 10);
    }
}
