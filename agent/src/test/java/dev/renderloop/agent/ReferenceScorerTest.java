package dev.renderloop.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.score.Picture;
import org.junit.jupiter.api.Test;

class ReferenceScorerTest {
    @Test
    void flatPicturesAreBlankAndAnyDrawingIsNot() {
        int[] black = new int[64 * 48];
        assertTrue(ReferenceScorer.blank(new Picture(64, 48, black)));
        int[] noisy = new int[64 * 48];
        java.util.Arrays.fill(noisy, 0x010201); // compression noise within 2 levels is still blank
        noisy[5] = 0x000000;
        assertTrue(ReferenceScorer.blank(new Picture(64, 48, noisy)));
        int[] dot = new int[64 * 48];
        dot[100] = 0xFFFFFF;
        assertFalse(ReferenceScorer.blank(new Picture(64, 48, dot)));
    }
}
