package dev.renderloop.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tiny RoBERTa ONNX model and byte-level BPE tokenizer through DJL's native tokenizers and ONNX Runtime,
 * against token ids and mean-pooled embeddings from transformers + torch.
 */
class OnnxTextEmbedderIT {

    private static final double TOLERANCE = 1e-4;

    private static OnnxTextEmbedder open() {
        JsonNode fixture = Fixtures.json("expected-text-embeddings.json");
        return OnnxTextEmbedder.codebert(Fixtures.file(fixture.get("model").asText()),
                Fixtures.file(fixture.get("tokenizer").asText()));
    }

    @Test
    void tokensAndEmbeddings_matchPythonReference() {
        JsonNode fixture = Fixtures.json("expected-text-embeddings.json");
        try (OnnxTextEmbedder embedder = open()) {
            double worst = 0;
            double worstCosine = 1;
            for (JsonNode c : fixture.get("cases")) {
                String label = c.get("name").asText();
                long[] expectedIds = new long[c.get("inputIds").size()];
                for (int i = 0; i < expectedIds.length; i++) {
                    expectedIds[i] = c.get("inputIds").get(i).asLong();
                }
                assertArrayEquals(expectedIds, embedder.tokenIds(c.get("text").asText()), label + " token ids");
                float[] expected = Fixtures.floats(c.get("embedding"));
                float[] got = embedder.embed(c.get("text").asText());
                double diff = Fixtures.maxAbsDiff(expected, got);
                double cosine = Fixtures.cosine(expected, got);
                assertTrue(diff <= TOLERANCE, label + ": max abs diff " + diff);
                worst = Math.max(worst, diff);
                worstCosine = Math.min(worstCosine, cosine);
            }
            System.out.printf("%s: %d texts, max abs diff %.3g, min cosine %.9f, %s%n", embedder.name(),
                    fixture.get("cases").size(), worst, worstCosine, embedder.placement());
        }
    }

    @Test
    void longText_isTruncatedTo512TokensEndingWithEos() {
        try (OnnxTextEmbedder embedder = open()) {
            String text = "x = 1\n".repeat(2000);
            long[] ids = embedder.tokenIds(text);
            assertEquals(OnnxTextEmbedder.MAX_TOKENS, ids.length);
            assertEquals(0, ids[0], "<s> first");
            assertEquals(2, ids[ids.length - 1], "</s> last");
            assertEquals(embedder.embed(text).length, embedder.embed("x").length);
        }
    }

    @Test
    void emptyText_isEmbeddedAsBosEos() {
        try (OnnxTextEmbedder embedder = open()) {
            assertArrayEquals(new long[] {0, 2}, embedder.tokenIds(""));
            float[] v = embedder.embed("");
            double norm = 0;
            for (float f : v) {
                norm += f * f;
            }
            assertTrue(norm > 0, "empty text has a defined, non-zero embedding");
        }
    }

    @Test
    void djlStaysOffline() {
        try (OnnxTextEmbedder embedder = open()) {
            assertTrue(embedder.tokenIds("x").length > 0);
            assertTrue(ai.djl.util.Utils.isOfflineMode(), "DJL offline mode must be on once a tokenizer is loaded");
            assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
            String cache = System.getProperty("ENGINE_CACHE_DIR");
            if (cache != null) {
                // Under failsafe the native library comes out of the jar into the build's own cache dir.
                assertTrue(Files.isDirectory(Path.of(cache, "tokenizers")), "native library extracted to " + cache);
            }
        }
    }

    @Test
    void embed_isSafeForConcurrentUse() throws Exception {
        try (OnnxTextEmbedder embedder = open(); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            String[] texts = {"from manim import *", "import numpy as np\nprint(np.pi)", ""};
            float[][] expected = new float[texts.length][];
            for (int i = 0; i < texts.length; i++) {
                expected[i] = embedder.embed(texts[i]);
            }
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                int k = i % texts.length;
                results.add(pool.submit(() -> Fixtures.maxAbsDiff(embedder.embed(texts[k]), expected[k]) <= 1e-6));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get());
            }
            long start = System.nanoTime();
            int n = 50;
            for (int i = 0; i < n; i++) {
                embedder.embed(texts[1]);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%s: %.0f short texts/s on one thread%n", embedder.name(), n / seconds);
        }
    }

    @Test
    void badFiles_areNamed(@TempDir Path dir) throws Exception {
        Path model = Fixtures.file("codebert-tiny.onnx");
        Path tokenizer = Fixtures.file("tokenizer.json");
        Path missing = dir.resolve("tokenizer.json");
        EmbeddingModelException e = assertThrows(EmbeddingModelException.class,
                () -> OnnxTextEmbedder.codebert(model, missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

        Path junk = dir.resolve("junk.json");
        Files.writeString(junk, "{\"not\": \"a tokenizer\"}");
        e = assertThrows(EmbeddingModelException.class, () -> OnnxTextEmbedder.codebert(model, junk));
        assertTrue(e.getMessage().contains(junk.toString()) && e.getMessage().contains("tokenizer"), e.getMessage());

        Path clip = Fixtures.file("clip-tiny.onnx");
        e = assertThrows(EmbeddingModelException.class, () -> OnnxTextEmbedder.codebert(clip, tokenizer));
        assertTrue(e.getMessage().contains(clip.toString()) && e.getMessage().contains("input_ids"), e.getMessage());
    }
}
