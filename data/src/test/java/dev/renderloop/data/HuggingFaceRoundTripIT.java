package dev.renderloop.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.render.RenderEngine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset read by the Python training stack: {@code datasets.load_dataset("parquet", ...)} gives exactly the JSONL's
 * rows with the {@code messages}/{@code images} features, and TRL's {@code SFTTrainer} (on the tiny random Qwen2
 * checkpoint of the model module's fixtures) tokenises it, collates a batch and takes one step, and TRL's vision
 * collator turns batches of image2code and optimise rows into pixel values and image tokens with a tiny LLaVA-style
 * processor built from the same tokenizer ({@code data/python/check_hf.py}). Runs where {@code RENDERLOOP_HF_PYTHON}
 * names an interpreter that imports {@code datasets}, {@code pyarrow}, {@code transformers}, {@code trl} and Pillow;
 * skipped with the reason elsewhere.
 */
class HuggingFaceRoundTripIT {
    @TempDir
    Path dir;

    @Test
    void datasetsLoadsTheParquetAndTrlsCollatorTakesABatch() throws Exception {
        String python = System.getenv("RENDERLOOP_HF_PYTHON");
        assumeTrue(python != null && !python.isBlank(), "RENDERLOOP_HF_PYTHON is not set (an interpreter with datasets, pyarrow, "
                + "transformers and trl, e.g. /work/venv/bin/python)");
        Process probe = new ProcessBuilder(python, "-c", "import datasets, pyarrow, transformers, trl, PIL").redirectErrorStream(true).start();
        String probeOut = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(probe.waitFor() == 0, python + " cannot import datasets/pyarrow/transformers/trl/PIL (Pillow): " + probeOut.strip());
        Path module = Path.of("").toAbsolutePath();
        Path script = module.resolve("python/check_hf.py");
        Path tinyModel = module.resolve("../model/src/test/resources/dev/renderloop/model/qwen2-tiny-chat").normalize();
        assumeTrue(Files.isRegularFile(tinyModel.resolve("model.safetensors")), "no tiny Qwen2 checkpoint at " + tinyModel);

        Path out = dir.resolve("ds");
        try (RenderEngine engine = RenderEngine.builder().cacheDir(dir.resolve("cache")).scratchDir(dir).build()) {
            DatasetBuilder.builder().engine(engine).out(out).options(BuildOptions.defaults().withDefectsPerProgram(1))
                    .source(Corpus.load("svg", null, null)).source(Corpus.load("smiles", null, null)).build().build();
        }
        ProcessBuilder pb = new ProcessBuilder(python, script.toString(), out.toString(), tinyModel.toString());
        pb.environment().put("HF_HOME", dir.resolve("hf").toString());
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("HF_DATASETS_OFFLINE", "1");
        pb.environment().put("TOKENIZERS_PARALLELISM", "false");
        pb.redirectError(dir.resolve("stderr.txt").toFile());
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "check_hf.py did not finish in 300 s");
        String stderr = Files.readString(dir.resolve("stderr.txt"));
        assertEquals(0, p.exitValue(), "check_hf.py failed:\n" + stderr.substring(Math.max(0, stderr.length() - 3000)));
        String last = stdout.strip().lines().reduce((a, b) -> b).orElseThrow();
        JsonNode report = new ObjectMapper().readTree(last);
        int expected = (int) Files.readAllLines(out.resolve("optimise.jsonl")).size();
        assertEquals(expected, report.at("/configs/optimise/rows").asInt());
        assertTrue(report.at("/configs/image2code/schema").asText().startsWith("messages: list<element: struct<role: string, content: string>>"));
        assertEquals(4, report.at("/sft/batch_shape/0").asInt());
        assertTrue(Double.isFinite(report.at("/sft/train_loss").asDouble()));
        // TRL's vision collator: a batch of image rows becomes pixel values with 4 image tokens an image
        assertEquals("DataCollatorForVisionLanguageModeling", report.at("/vision/collator").asText());
        for (String config : new String[] {"image2code", "optimise"}) {
            JsonNode v = report.at("/vision/configs/" + config);
            assertEquals(4, v.get("rows").asInt(), config);
            assertTrue(v.get("images").asInt() >= 4, config + ": every row has its target image: " + v);
            assertEquals(v.get("images").asInt(), v.at("/pixel_values/0").asInt(), config);
            assertEquals(4 * v.get("images").asInt(), v.get("image_tokens").asInt(), config);
        }
        System.out.println("check_hf.py: " + last);
    }
}
