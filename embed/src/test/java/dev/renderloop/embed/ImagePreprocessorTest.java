package dev.renderloop.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.renderloop.score.Picture;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Preprocessing against pixel values computed by transformers' PIL image processors (expected-pixels.json). */
class ImagePreprocessorTest {

    static Stream<JsonNode> cases() {
        List<JsonNode> cases = new ArrayList<>();
        Fixtures.json("expected-pixels.json").get("cases").forEach(cases::add);
        return cases.stream();
    }

    private static ImagePreprocessor processor(JsonNode c) {
        return switch (c.get("processor").asText()) {
            case "clip" -> ImagePreprocessor.CLIP;
            case "dinov2" -> ImagePreprocessor.DINOV2;
            default -> throw new IllegalArgumentException(c.get("processor").asText());
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void resize_isBitExactWithPillow(JsonNode c) {
        Picture source = Fixtures.picture("images/" + c.get("image").asText());
        Picture expected = Fixtures.picture("pixels/" + c.get("resized").asText());
        ImagePreprocessor processor = processor(c);
        int[] size = processor.resizedSize(source.width(), source.height());
        assertEquals(expected.width(), size[0], "resized width");
        assertEquals(expected.height(), size[1], "resized height");
        int[] got = processor.resized(source);
        int differing = 0;
        int worst = 0;
        for (int i = 0; i < got.length; i++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                int d = Math.abs(((got[i] >> shift) & 0xFF) - ((expected.rgb()[i] >> shift) & 0xFF));
                worst = Math.max(worst, d);
                differing += d == 0 ? 0 : 1;
            }
        }
        assertEquals(0, differing, "channel values differing from Pillow (largest difference " + worst + ")");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void pixels_equalTransformersProcessor(JsonNode c) {
        ImagePreprocessor processor = processor(c);
        float[] pixels = new float[processor.size()];
        processor.pixels(Fixtures.picture("images/" + c.get("image").asText()), pixels, 0);
        int crop = processor.crop();
        double worst = 0;
        for (JsonNode s : c.get("samples")) {
            int index = (s.get(0).asInt() * crop + s.get(1).asInt()) * crop + s.get(2).asInt();
            worst = Math.max(worst, Math.abs(pixels[index] - s.get(3).asDouble()));
        }
        assertTrue(worst <= 1e-6, "max abs difference from the Python pixel_values: " + worst);
    }

    @Test
    void resize_keepsConstantImagesConstant() {
        Random random = new Random(42);
        for (int trial = 0; trial < 30; trial++) {
            int w = 1 + random.nextInt(300);
            int h = 1 + random.nextInt(300);
            int colour = random.nextInt(1 << 24);
            int[] rgb = new int[w * h];
            java.util.Arrays.fill(rgb, colour);
            int outW = 1 + random.nextInt(400);
            int outH = 1 + random.nextInt(400);
            int[] out = PilBicubic.resize(rgb, w, h, outW, outH);
            int[] expected = new int[outW * outH];
            java.util.Arrays.fill(expected, colour);
            assertArrayEquals(expected, out, w + "x" + h + " -> " + outW + "x" + outH);
        }
    }

    @Test
    void resize_toSameSizeIsACopy() {
        int[] rgb = new Random(7).ints(12 * 5, 0, 1 << 24).toArray();
        int[] out = PilBicubic.resize(rgb, 12, 5, 12, 5);
        assertArrayEquals(rgb, out);
        assertTrue(out != rgb);
    }

    @Test
    void resizedSize_followsTransformersTruncation() {
        assertArrayEquals(new int[] {224, 3952}, ImagePreprocessor.CLIP.resizedSize(17, 300));
        assertArrayEquals(new int[] {486, 224}, ImagePreprocessor.CLIP.resizedSize(549, 253));
        assertArrayEquals(new int[] {256, 256}, ImagePreprocessor.DINOV2.resizedSize(400, 400));
    }

    @Test
    void cubic_isPillowsKernel() {
        assertEquals(1.0, PilBicubic.cubic(0), 0);
        assertEquals(0.0, PilBicubic.cubic(1), 0);
        assertEquals(0.0, PilBicubic.cubic(2), 0);
        assertEquals(-0.0625, PilBicubic.cubic(1.5), 1e-15); // a = -0.5: ((1.5-5)*1.5+8)*1.5-4 = 0.125, times a
        assertEquals(PilBicubic.cubic(0.3), PilBicubic.cubic(-0.3), 0);
    }
}
