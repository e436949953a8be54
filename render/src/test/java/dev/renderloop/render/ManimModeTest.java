package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ManimModeTest {
    @Test
    void parse_acceptsTheWireNames_caseAndSpaceInsensitive() {
        assertEquals(ManimMode.REWARD, ManimMode.parse(" Reward "));
        assertEquals(ManimMode.PUBLISHED, ManimMode.parse("published"));
        assertEquals(ManimMode.PUBLISHED_LOSSLESS, ManimMode.parse("published-lossless"));
    }

    @Test
    void parse_refusesAnythingElse_namingTheKnownModes() {
        for (String bad : new String[] {"fast", "", "PUBLISHED_LOSSLESS"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ManimMode.parse(bad));
            assertTrue(e.getMessage().contains("known: published, reward, published-lossless"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ManimMode.parse(null));
    }

    @Test
    void theMode_isPartOfTheWireSettings_andSoOfTheCacheKey() {
        RenderSettings published = RenderSettings.MANIM_DEFAULTS;
        RenderSettings reward = published.withManimMode(ManimMode.REWARD);
        assertEquals("published", published.toWire().get("manim_mode"));
        assertEquals("reward", reward.toWire().get("manim_mode"));
        assertEquals(ManimMode.REWARD, reward.withSize(100, 100).withSeed(3).manimMode(), "kept by every with*");
        String code = "from manim import *\n";
        assertNotEquals(RenderCache.key(new RenderRequest("manim", code, published), "v"),
                RenderCache.key(new RenderRequest("manim", code, reward), "v"));
    }
}
