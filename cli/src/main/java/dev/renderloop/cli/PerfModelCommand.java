package dev.renderloop.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.model.CausalLm;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code renderloop perf model [--python PATH] [--sizes tiny,100m] [--prompt-tokens N] [--new-tokens N] [--repeat R] [--warmup-seconds S]}:
 * times the
 * in-process model ({@link CausalLm}) against transformers on the same seeded random Qwen2 checkpoint and the same
 * seeded prompt ids, in one run: prefill (logits of a 1 x prompt batch) and KV-cached greedy decoding, each the
 * median of {@code R} timed runs after warm-up runs for {@code S} seconds (at least one), on both sides: a run of
 * the tiny model lasts milliseconds, so one warm-up left the JVM's side timed before the JIT had compiled the
 * per-op Java code (measured: prefill 6.5 ms on the first 50 calls, 1.7-2.3 ms once compiled). Prints tokens/s for both sides, their ratio, whether the greedy ids are identical and each
 * process's peak RSS. The checkpoint is written here (F32 safetensors), so without torch/transformers under
 * {@code --python} the command still times this project and says the reference is unavailable.
 */
@Command(name = "model", description = "In-process model (prefill, greedy decode) vs. transformers on the same checkpoint.")
final class PerfModelCommand implements Callable<Integer> {
    /** This project within 1.5x of transformers: ratio (ours / theirs) at least 1 / 1.5. */
    static final double TARGET_RATIO = 1 / 1.5;

    /** A Qwen2 shape; weights are drawn with std {@code 1.6 / sqrt(hidden)} (0.2 at 64, as the parity fixtures). */
    record Size(String name, int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab) {
        long parameters() {
            long d = hidden / heads;
            long q = heads * d;
            long kv = kvHeads * d;
            long layer = 2L * hidden + q * hidden + q + 2 * (kv * hidden + kv) + hidden * q + 3L * intermediate * hidden;
            return (long) vocab * hidden + layers * layer + hidden;
        }
    }

    static final Map<String, Size> SIZES = Map.of(
            "tiny", new Size("tiny", 64, 2, 4, 2, 128, 300),
            "100m", new Size("100m", 768, 12, 12, 4, 2048, 32000));

    @Spec
    CommandSpec spec;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with torch and transformers for the reference (default: ${DEFAULT-VALUE} on PATH).")
    String python = "python3";

    @Option(names = "--sizes", paramLabel = "LIST", split = ",",
            description = "Checkpoints to time: tiny (64 hidden, 2 layers), 100m (768 hidden, 12 layers); default: ${DEFAULT-VALUE}.")
    List<String> sizes = List.of("tiny", "100m");

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "Prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens = 128;

    @Option(names = "--new-tokens", paramLabel = "N", description = "Greedy tokens to generate (default: ${DEFAULT-VALUE}).")
    int newTokens = 64;

    @Option(names = "--repeat", paramLabel = "R", description = "Timed runs per measurement, median reported, both sides (default: ${DEFAULT-VALUE}).")
    int repeat = 5;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Untimed warm-up per measurement, both sides (default: ${DEFAULT-VALUE}).")
    double warmupSeconds = 3;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Size> chosen = new ArrayList<>();
        for (String s : sizes) {
            Size size = SIZES.get(s);
            if (size == null) {
                err.println("renderloop perf model: unknown size '" + s + "' (known: tiny, 100m)");
                return ExitCode.USAGE;
            }
            chosen.add(size);
        }
        if (promptTokens < 1 || newTokens < 1 || repeat < 1 || !(warmupSeconds >= 0)) {
            err.println("renderloop perf model: --prompt-tokens, --new-tokens and --repeat must be at least 1, --warmup-seconds >= 0");
            return ExitCode.USAGE;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf("perf model: random Qwen2 checkpoints (F32), 1 x %d prompt tokens, %d greedy tokens; %d cores, Java %s%n",
                promptTokens, newTokens, cores, Runtime.version().feature());
        out.println("  prefill tok/s = prompt tokens / one forward; decode tok/s = new tokens / whole greedy call (prompt included);");
        out.println("  each the median of " + repeat + " timed runs after " + warmupSeconds + " s of warm-up runs, both sides; ratio = renderloop / transformers (target >= 0.67, within 1.5x)");
        List<String[]> table = new ArrayList<>();
        boolean allIdentical = true;
        boolean referenceMissing = false;
        Path scratch = Files.createTempDirectory("renderloop-perf-model-");
        try {
            Path script = extractScript(scratch);
            for (Size size : chosen) {
                Path dir = Files.createDirectories(scratch.resolve(size.name()));
                writeCheckpoint(size, dir, 7);
                long[] prompt = new SplittableRandom(13).ints(promptTokens, 3, size.vocab()).asLongStream().toArray();
                Path idsFile = scratch.resolve(size.name() + ".ids");
                Files.writeString(idsFile, Arrays.stream(prompt).mapToObj(Long::toString).collect(Collectors.joining(",")));

                long[] ours;
                double oursPrefill;
                double oursGenerate;
                int oursThreads;
                try (CausalLm lm = CausalLm.load(dir)) {
                    oursThreads = lm.threads();
                    long[][] ids = {prompt};
                    warmUp(() -> lm.logits(ids, null));
                    oursPrefill = medianSeconds(() -> lm.logits(ids, null));
                    warmUp(() -> lm.generateGreedy(ids, null, newTokens));
                    oursGenerate = medianSeconds(() -> lm.generateGreedy(ids, null, newTokens));
                    ours = lm.generateGreedy(ids, null, newTokens)[0];
                }
                String label = size.name() + String.format(" (%.1fM)", size.parameters() / 1e6);
                table.add(row(label, "renderloop (DJL, " + oursThreads + (oursThreads == 1 ? " thread)" : " threads)"), promptTokens / oursPrefill, newTokens / oursGenerate,
                        vmHwmKib() / 1024 + " MiB (JVM VmHWM, cumulative)"));

                Reference ref = runReference(script, dir, idsFile, scratch.resolve(size.name() + ".err"));
                if (ref.error() != null) {
                    referenceMissing = true;
                    table.add(new String[] {"", "transformers", "unavailable", "", ref.error()});
                    continue;
                }
                JsonNode j = ref.json();
                long[] theirs = new long[j.get("generated").size()];
                for (int i = 0; i < theirs.length; i++) {
                    theirs[i] = j.get("generated").get(i).asLong();
                }
                double refPrefill = j.get("prefill_seconds").asDouble();
                double refGenerate = j.get("generate_seconds").asDouble();
                table.add(row("", "transformers (" + j.get("attn_implementation").asText() + ", "
                        + j.get("threads").asInt() + " threads)", promptTokens / refPrefill, newTokens / refGenerate,
                        j.get("vm_hwm_kib").asLong() / 1024 + " MiB (VmHWM; ru_maxrss "
                        + j.get("ru_maxrss_kib").asLong() / 1024 + " MiB, inherits the JVM's across exec)"));
                boolean identical = Arrays.equals(ours, theirs);
                allIdentical &= identical;
                table.add(new String[] {"", "ratio", String.format("%.2fx", refPrefill / oursPrefill),
                        String.format("%.2fx", refGenerate / oursGenerate),
                        "greedy ids identical: " + (identical ? "yes" : "NO, first difference at " + firstDifference(ours, theirs))});
                out.println("  " + size.name() + " reference: " + j.get("versions").asText());
            }
        } finally {
            ScratchTree.delete(scratch);
        }
        printTable(out, table);
        if (referenceMissing) {
            out.println("  transformers side unavailable: only this project was timed (--python PATH to a Python with torch and transformers)");
            return ExitCode.UNAVAILABLE;
        }
        if (!allIdentical) {
            out.println("  MISMATCH: greedy ids differ from transformers'");
            return ExitCode.INTERNAL;
        }
        return ExitCode.OK;
    }

    private void warmUp(Runnable run) {
        long start = System.nanoTime();
        do {
            run.run();
        } while ((System.nanoTime() - start) / 1e9 < warmupSeconds);
    }

    private double medianSeconds(Runnable run) {
        double[] seconds = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            run.run();
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        return seconds[repeat / 2];
    }

    private static String[] row(String size, String side, double prefill, double decode, String memory) {
        return new String[] {size, side, String.format("%.1f", prefill), String.format("%.1f", decode), memory};
    }

    private static void printTable(PrintWriter out, List<String[]> rows) {
        String[] header = {"size", "side", "prefill tok/s", "decode tok/s", "peak RSS / greedy"};
        int[] widths = new int[header.length];
        for (String[] r : concat(header, rows)) {
            for (int c = 0; c < r.length; c++) {
                widths[c] = Math.max(widths[c], r[c].length());
            }
        }
        for (String[] r : concat(header, rows)) {
            StringBuilder line = new StringBuilder(" ");
            for (int c = 0; c < r.length; c++) {
                String cell = c == 2 || c == 3 ? " ".repeat(widths[c] - r[c].length()) + r[c]
                        : r[c] + " ".repeat(widths[c] - r[c].length());
                line.append(' ').append(cell).append(' ');
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static List<String[]> concat(String[] header, List<String[]> rows) {
        List<String[]> all = new ArrayList<>(rows.size() + 1);
        all.add(header);
        all.addAll(rows);
        return all;
    }

    private static int firstDifference(long[] a, long[] b) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return n;
    }

    /** This process's resident-set high-water mark from {@code /proc/self/status}; -1 where there is none. */
    static long vmHwmKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;  // not Linux: reported as -1 rather than guessed
        }
        return -1;
    }

    private record Reference(JsonNode json, String error) {
    }

    private Reference runReference(Path script, Path dir, Path ids, Path log) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(python, script.toString(), dir.toString(), ids.toString(), Integer.toString(newTokens),
                    Integer.toString(repeat), Double.toString(warmupSeconds))
                    .redirectError(log.toFile()).start();
        } catch (IOException e) {
            return new Reference(null, "cannot start '" + python + "': " + e.getMessage());
        }
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return new Reference(null, "reference did not finish in 30 minutes");
        }
        if (p.exitValue() != 0) {
            List<String> lines = Files.readAllLines(log);
            return new Reference(null, python + " exited " + p.exitValue() + ": "
                    + String.join(" | ", lines.subList(Math.max(0, lines.size() - 2), lines.size())));
        }
        return new Reference(new ObjectMapper().readTree(stdout), null);
    }

    private static Path extractScript(Path scratch) throws IOException {
        Path target = scratch.resolve("perf_model_reference.py");
        try (InputStream in = Objects.requireNonNull(PerfModelCommand.class.getResourceAsStream("perf_model_reference.py"),
                "perf_model_reference.py missing from the cli jar")) {
            Files.write(target, in.readAllBytes());
        }
        return target;
    }

    /**
     * Writes a Hugging Face Qwen2 directory ({@code config.json}, {@code model.safetensors}, F32, tied embeddings)
     * with every parameter drawn from {@code seed}: norm weights {@code 1 + 0.1 N(0,1)}, the rest
     * {@code 1.6 / sqrt(hidden) N(0,1)} (HF's 0.02 gives near-flat logits, so greedy ids would hinge on ties).
     */
    static void writeCheckpoint(Size s, Path dir, long seed) throws IOException {
        int d = s.hidden() / s.heads();
        int q = s.heads() * d;
        int kv = s.kvHeads() * d;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {s.vocab(), s.hidden()});
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {s.hidden()});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {q, s.hidden()});
            shapes.put(p + "self_attn.q_proj.bias", new long[] {q});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kv, s.hidden()});
            shapes.put(p + "self_attn.k_proj.bias", new long[] {kv});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kv, s.hidden()});
            shapes.put(p + "self_attn.v_proj.bias", new long[] {kv});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {s.hidden(), q});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {s.hidden()});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {s.intermediate(), s.hidden()});
            shapes.put(p + "mlp.up_proj.weight", new long[] {s.intermediate(), s.hidden()});
            shapes.put(p + "mlp.down_proj.weight", new long[] {s.hidden(), s.intermediate()});
        }
        shapes.put("model.norm.weight", new long[] {s.hidden()});

        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long bytes = 4 * Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(Arrays.toString(e.getValue()).replace(" ", "")).append(",\"data_offsets\":[")
                    .append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while (header.length() % 8 != 0) {
            header.append(' ');
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        SplittableRandom random = new SplittableRandom(seed);
        double std = 1.6 / Math.sqrt(s.hidden());
        try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(headerBytes.length).put(headerBytes);
            for (var e : shapes.entrySet()) {
                boolean norm = e.getKey().endsWith("norm.weight");
                long n = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
                for (long i = 0; i < n; i++) {
                    if (buf.remaining() < 4) {
                        drain(ch, buf);
                    }
                    double g = random.nextGaussian();
                    buf.putFloat((float) (norm ? 1 + 0.1 * g : std * g));
                }
            }
            drain(ch, buf);
        }
        String config = """
                {"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","hidden_size":%d,"intermediate_size":%d,
                 "num_hidden_layers":%d,"num_attention_heads":%d,"num_key_value_heads":%d,"vocab_size":%d,
                 "max_position_embeddings":32768,"rms_norm_eps":1e-06,"rope_theta":10000.0,
                 "rope_parameters":{"rope_type":"default","rope_theta":10000.0},"hidden_act":"silu",
                 "tie_word_embeddings":true,"use_sliding_window":false,"use_cache":true,"dtype":"float32",
                 "bos_token_id":1,"eos_token_id":2,"pad_token_id":0}
                """.formatted(s.hidden(), s.intermediate(), s.layers(), s.heads(), s.kvHeads(), s.vocab());
        Files.writeString(dir.resolve("config.json"), config);
    }

    private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }
}
