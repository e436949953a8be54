package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built fat jar without the model runtime (issue 15, item 4): it carries no libtorch, renders and scores alone,
 * and every way into the model (model run, serve-model, a {@code local:} policy in bench and generate) ends with one
 * clear message and exit 3, without downloading or extracting anything; with {@code target/model-runtime/} beside
 * it, the same jar runs the model. Runs the real jar in a child JVM, as a user does.
 */
class ModelRuntimeSplitIT {
    static final Path FAT_JAR = Path.of("target/renderloop.jar").toAbsolutePath();
    static final Path RUNTIME = Path.of("target/model-runtime").toAbsolutePath();
    static final Path QWEN = ModelCommandIT.QWEN.toAbsolutePath();

    @TempDir
    static Path dir;
    /** The jar alone in a folder: no model-runtime/ beside it. */
    static Path smallJar;

    record Run(int exitCode, String out, String err) {
        String all() {
            return out + err;
        }
    }

    @BeforeAll
    static void copyTheJarAlone() throws IOException {
        assertTrue(Files.isRegularFile(FAT_JAR), "the package phase builds " + FAT_JAR);
        Files.createDirectories(dir.resolve("alone"));
        smallJar = Files.copy(FAT_JAR, dir.resolve("alone/renderloop.jar"));
    }

    /**
     * Runs {@code java -jar JAR args} with DJL's caches in {@code cache} (so that anything DJL fetched would show), or
     * DJL's default caches when it is null.
     */
    static Run run(Path jar, Path cache, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector"));
        if (cache != null) {
            cmd.addAll(List.of("-DDJL_CACHE_DIR=" + cache, "-DENGINE_CACHE_DIR=" + cache));
        }
        cmd.addAll(List.of("-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "renderloop " + String.join(" ", args) + " did not end in 120 s");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    static List<String> filesUnder(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(Path::toString).toList();
        }
    }

    @Test
    void theFatJarCarriesNoLibtorchNoTorchJniAndNoDebugSymbols() throws IOException {
        try (ZipFile zip = new ZipFile(FAT_JAR.toFile())) {
            List<String> runtime = zip.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith("pytorch/") || n.startsWith("jnilib/") || n.equals("native/lib/pytorch.properties")
                            || n.endsWith(".pdb") || n.contains(".dSYM/"))
                    .toList();
            assertEquals(List.of(), runtime, "the model runtime and ONNX Runtime's debug symbols stay out of the fat jar");
            // what stays: the model's Java code and DJL's engine classes (so the check can run), the tokenizers' natives
            assertTrue(zip.getEntry("dev/renderloop/model/ModelRuntime.class") != null);
            assertTrue(zip.getEntry("ai/djl/pytorch/engine/PtEngine.class") != null);
        }
        long mb = Files.size(FAT_JAR) >> 20;
        assertTrue(mb < 250, "the fat jar without libtorch should be well under the old 388 MB; it is " + mb + " MB");
    }

    @Test
    void everyWayIntoTheModelSaysTheRuntimeIsMissing_exits3_andDownloadsNothing() throws Exception {
        Path cache = Files.createDirectories(dir.resolve("djl-cache-absent"));
        Path benchOut = dir.resolve("bench-local");
        String[][] commands = {
                {"model", "run", "--model", QWEN.toString(), "--input-ids", "1,2", "--greedy", "2"},
                {"serve-model", "--model", QWEN.toString(), "--port", "0"},
                {"bench", "--suite", "svg", "--policy", "local:" + QWEN, "--strategy", "vanilla", "--out", benchOut.toString(), "--no-cache"},
                {"generate", "--domain", "svg", "--task", "svg-001", "--policy", "local:" + QWEN, "--no-cache"}};
        for (String[] args : commands) {
            String what = String.join(" ", args);
            Run r = run(smallJar, cache, args);
            assertEquals(3, r.exitCode(), what + "\n" + r.all());
            assertTrue(r.err().contains("the model runtime is not installed: ai.djl.pytorch:pytorch-native-cpu (libtorch)"
                    + " and ai.djl.pytorch:pytorch-jni are not on the class path"), what + "\n" + r.err());
            assertTrue(r.err().contains("Install it once with scripts/install-model-runtime"), what + "\n" + r.err());
            assertFalse(r.all().contains("Exception") || r.all().contains("\tat "), "no stack trace: " + what + "\n" + r.all());
            assertFalse(r.all().contains("internal error"), what + "\n" + r.all());
        }
        assertEquals(List.of(), filesUnder(cache), "nothing was downloaded or extracted into DJL's cache");
        assertFalse(Files.exists(benchOut.resolve("results.jsonl")), "no result rows for a policy that never opened");
    }

    @Test
    void theJarAloneRendersAndScores() throws Exception {
        Path cache = Files.createDirectories(dir.resolve("djl-cache-render"));
        Path svg = dir.resolve("circle.svg");
        Files.writeString(svg, "<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'>"
                + "<circle cx='32' cy='32' r='20' fill='red'/></svg>");
        Path other = dir.resolve("square.svg");
        Files.writeString(other, "<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'>"
                + "<rect x='12' y='12' width='40' height='40' fill='blue'/></svg>");
        Run render = run(smallJar, cache, "render", "--domain", "svg", "--no-cache", "--json", svg.toString());
        assertEquals(0, render.exitCode(), render.all());
        JsonNode j = new ObjectMapper().readTree(render.out());
        assertTrue(Files.isRegularFile(Path.of(j.get("last_frame").asText())), render.out());
        Run score = run(smallJar, cache, "score", "--domain", "svg", "--reference", svg.toString(), "--candidate", other.toString(), "--json");
        assertEquals(0, score.exitCode(), score.all());
        double ssim = new ObjectMapper().readTree(score.out()).get("ssim").asDouble();
        assertTrue(ssim > 0 && ssim < 1, "a circle against a square: " + score.out());
        assertFalse(score.all().contains("model runtime"), score.all());
    }

    @Test
    void withTheRuntimeBesideIt_theSameJarRunsTheModel() throws Exception {
        assumeTrue(Files.isRegularFile(RUNTIME.resolve("pytorch-native-cpu-linux-x86_64.jar"))
                        && Files.isRegularFile(RUNTIME.resolve("pytorch-jni.jar")),
                "target/model-runtime/ was not built (-Drenderloop.modelRuntime=false)");
        // DJL's default cache, as the in-process run below uses: libtorch is extracted there once, not per test
        Run r = run(FAT_JAR, null,
                "model", "run", "--model", QWEN.toString(), "--input-ids", "1,2,3", "--greedy", "4", "--json");
        assertEquals(0, r.exitCode(), r.all());
        CliRun inProcess = CliRun.of("model", "run", "--model", QWEN.toString(), "--input-ids", "1,2,3", "--greedy", "4", "--json");
        assertEquals(inProcess.json().get("generated"), new ObjectMapper().readTree(r.out()).get("generated"));
    }
}
