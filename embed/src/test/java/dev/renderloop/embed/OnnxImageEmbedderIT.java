package dev.renderloop.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.renderloop.score.Picture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tiny CLIP and DINOv2 ONNX models run by the real ONNX Runtime, against embeddings the Python reference stack
 * (transformers PIL processors + torch) computed for the same images.
 */
class OnnxImageEmbedderIT {

    /** The promise for real models is 1e-3; tiny models with bit-exact preprocessing should be far inside it. */
    private static final double TOLERANCE = 1e-4;

    private static OnnxImageEmbedder open(String kind, Device device) {
        JsonNode fixture = Fixtures.json("expected-image-embeddings.json").get(kind);
        Path model = Fixtures.file(fixture.get("model").asText());
        return kind.equals("clip") ? OnnxImageEmbedder.clip(model, device) : OnnxImageEmbedder.dinov2(model, device);
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "dinov2"})
    void embed_matchesPythonReference(String kind) {
        JsonNode fixture = Fixtures.json("expected-image-embeddings.json").get(kind);
        try (OnnxImageEmbedder embedder = open(kind, Device.CPU)) {
            double worst = 0;
            double worstCosine = 1;
            int images = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = fixture.get("embeddings").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                float[] expected = Fixtures.floats(e.getValue());
                float[] got = embedder.embed(Fixtures.picture("images/" + e.getKey()));
                double diff = Fixtures.maxAbsDiff(expected, got);
                double cosine = Fixtures.cosine(expected, got);
                assertTrue(diff <= TOLERANCE, kind + " " + e.getKey() + ": max abs diff " + diff);
                assertTrue(cosine >= 1 - 1e-6, kind + " " + e.getKey() + ": cosine " + cosine);
                worst = Math.max(worst, diff);
                worstCosine = Math.min(worstCosine, cosine);
                images++;
            }
            assertEquals(8, images);
            System.out.printf("%s: %d images, max abs diff %.3g, min cosine %.9f, %s%n", embedder.name(), images,
                    worst, worstCosine, embedder.placement());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "dinov2"})
    void embedAll_equalsEmbedOneByOne(String kind) {
        List<Picture> pictures = new ArrayList<>();
        for (Iterator<String> it = Fixtures.json("expected-image-embeddings.json").get(kind).get("embeddings")
                .fieldNames(); it.hasNext(); ) {
            pictures.add(Fixtures.picture("images/" + it.next()));
        }
        // 8 images repeated past one 16-picture batch, to cross a batch boundary.
        List<Picture> many = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            many.addAll(pictures);
        }
        try (OnnxImageEmbedder embedder = open(kind, Device.CPU)) {
            long start = System.nanoTime();
            List<float[]> batched = embedder.embedAll(many);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(many.size(), batched.size());
            for (int i = 0; i < many.size(); i++) {
                float[] single = embedder.embed(many.get(i));
                assertTrue(Fixtures.maxAbsDiff(single, batched.get(i)) <= 1e-5, "picture " + i);
            }
            System.out.printf("%s: embedAll %d pictures in %.3f s (%.1f pictures/s, preprocessing included)%n",
                    embedder.name(), many.size(), seconds, many.size() / seconds);
        }
    }

    @Test
    void embed_isSafeForConcurrentUse() throws Exception {
        Picture a = Fixtures.picture("images/tikz-001.png");
        Picture b = Fixtures.picture("images/noise-97x61.png");
        try (OnnxImageEmbedder embedder = open("clip", Device.CPU);
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            float[] expectedA = embedder.embed(a);
            float[] expectedB = embedder.embed(b);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                boolean useA = i % 2 == 0;
                results.add(pool.submit(() -> Fixtures.maxAbsDiff(embedder.embed(useA ? a : b),
                        useA ? expectedA : expectedB) <= 1e-5));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get());
            }
        }
    }

    @Test
    void name_carriesKindAndModelHash() {
        JsonNode fixture = Fixtures.json("expected-image-embeddings.json");
        try (OnnxImageEmbedder clip = open("clip", Device.CPU); OnnxImageEmbedder dino = open("dinov2", Device.CPU)) {
            assertEquals("clip-onnx:sha256:" + fixture.get("clip").get("sha256").asText(), clip.name());
            assertEquals("dinov2-onnx:sha256:" + fixture.get("dinov2").get("sha256").asText(), dino.name());
        }
    }

    @Test
    void auto_reportsTheProviderActuallyUsed() {
        try (OnnxImageEmbedder embedder = open("clip", Device.AUTO)) {
            Placement placement = embedder.placement();
            System.out.println("AUTO placement: " + placement);
            assertEquals(Device.AUTO, placement.requested());
            assertTrue(placement.used() == Device.CUDA || !placement.note().isEmpty(),
                    "a CPU fallback must say why: " + placement);
        }
    }

    @Test
    void cuda_failsClearlyWhereThisBuildHasNoCuda() {
        if (ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA)) {
            try (OnnxImageEmbedder embedder = open("clip", Device.CUDA)) {
                assertEquals(Device.CUDA, embedder.placement().used());
            }
            return;
        }
        EmbeddingModelException e = assertThrows(EmbeddingModelException.class, () -> open("clip", Device.CUDA));
        assertTrue(e.getMessage().contains("CUDA"), e.getMessage());
    }

    @Test
    void missingFile_isNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.onnx");
        EmbeddingModelException e = assertThrows(EmbeddingModelException.class, () -> OnnxImageEmbedder.clip(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such"), e.getMessage());
    }

    @Test
    void notOnnx_isNamed(@TempDir Path dir) throws Exception {
        Path junk = dir.resolve("model.onnx");
        Files.writeString(junk, "this is not a protobuf");
        EmbeddingModelException e = assertThrows(EmbeddingModelException.class, () -> OnnxImageEmbedder.dinov2(junk));
        assertTrue(e.getMessage().contains(junk.toString()) && e.getMessage().contains("not a loadable ONNX model"),
                e.getMessage());
    }

    @Test
    void wrongModel_namesWhatWasExpected() {
        assertWrong(OnnxImageEmbedder::clip, "codebert-tiny.onnx", "pixel_values");
        assertWrong(OnnxImageEmbedder::clip, "dinov2-tiny.onnx", "image_embeds");
        assertWrong(OnnxImageEmbedder::dinov2, "clip-tiny.onnx", "cls_before_layernorm");
    }

    private static void assertWrong(BiFunction<Path, Device, OnnxImageEmbedder> factory, String file, String expected) {
        Path model = Fixtures.file(file);
        EmbeddingModelException e = assertThrows(EmbeddingModelException.class, () -> factory.apply(model, Device.CPU));
        assertTrue(e.getMessage().contains(model.toString()) && e.getMessage().contains("expected")
                && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void embeddingsDifferBetweenImages() {
        // Guards against a model or preprocessing that ignores its input and still matches a degenerate fixture.
        try (OnnxImageEmbedder embedder = open("clip", Device.CPU)) {
            float[] a = embedder.embed(Fixtures.picture("images/tikz-001.png"));
            float[] b = embedder.embed(Fixtures.picture("images/html-001.png"));
            assertTrue(Fixtures.maxAbsDiff(a, b) > 1e-2);
            assertArrayEquals(a, embedder.embed(Fixtures.picture("images/tikz-001.png")));
        }
    }
}
