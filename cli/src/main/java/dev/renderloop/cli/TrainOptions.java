package dev.renderloop.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.LoraAdapter;
import dev.renderloop.model.LoraConfig;
import dev.renderloop.model.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options every {@code train} subcommand takes (a picocli mixin), and the run folder's contract: {@code RUN/train.json}
 * records the resolved settings of a run; a new run refuses a folder that holds one, and {@code --resume} refuses
 * settings that differ from it (a resumed run must continue as if it had not stopped).
 */
final class TrainOptions {
    static final String SETTINGS = "train.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory (config.json, "
            + "*.safetensors, tokenizer.json with a chat template).")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "Start from this LoRA adapter (PEFT format), e.g. an SFT "
            + "run's RUN/adapter before GRPO; default: a new one (--lora-r, --lora-alpha, all seven projections).")
    Path adapter;

    @Option(names = "--suite", paramLabel = "S", description = "Tasks: svg, smiles, rdkit, html, tikz (bundled), manimbench:PATH "
            + "(the training split) or a JSONL suite file.")
    String suite;

    @Option(names = "--split", description = "ManimBench split filter (e.g. train).")
    String split;

    @Option(names = "--level", description = "Level filter (e.g. Basic).")
    String level;

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N tasks (after filters).")
    Integer limit;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "Run folder: metrics.jsonl, checkpoints/, "
            + "adapter/, train.json.")
    Path out;

    @Option(names = "--preset", defaultValue = "trl", description = "trl (TRL's defaults) or manimtrainer (the paper's "
            + "hyperparameters); explicit flags override it (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--steps", defaultValue = "100", paramLabel = "N", description = "Optimizer steps (SFT) or generation "
            + "steps (GRPO) (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--lr", paramLabel = "RATE", description = "Peak learning rate of the linear schedule (default: the preset's).")
    Double lr;

    @Option(names = "--warmup-ratio", paramLabel = "R", description = "Share of the optimizer steps spent warming up (default: "
            + "the preset's).")
    Double warmupRatio;

    @Option(names = "--lora-r", paramLabel = "R", description = "Rank of a new adapter (default: the preset's, 8).")
    Integer loraRank;

    @Option(names = "--lora-alpha", paramLabel = "A", description = "Alpha of a new adapter (default: the preset's, 16).")
    Double loraAlpha;

    @Option(names = "--weight-decay", defaultValue = "0", paramLabel = "W", description = "AdamW's decoupled weight decay "
            + "(default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", paramLabel = "N", description = "Global-norm gradient clipping "
            + "(default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the data order, the adapter's initialisation, "
            + "sampling and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "10", paramLabel = "N", description = "Checkpoint every N steps and "
            + "after the last (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint, with the same settings.")
    boolean resume;

    /** Progress lines on the command's error stream (stdout keeps the results). */
    static PrintStream console(PrintWriter err) {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                line.write(b);
                if (b == '\n') {
                    flush();
                }
            }

            @Override
            public void flush() {
                err.print(line.toString(StandardCharsets.UTF_8));
                err.flush();
                line.reset();
            }
        }, true, StandardCharsets.UTF_8);
    }

    TrainPreset preset() {
        return TrainPreset.named(preset);
    }

    /**
     * Checks the run folder against the settings before anything is loaded or written.
     *
     * @throws IllegalArgumentException when a new run would overwrite a run, when there is nothing to resume, or when
     *     the settings differ from the resumed run's (the message lists them)
     */
    void checkRunFolder(Map<String, Object> settings) throws IOException {
        Path file = out.resolve(SETTINGS);
        boolean held = Files.exists(file) || Files.exists(out.resolve("metrics.jsonl"));
        if (!resume) {
            if (held) {
                throw new IllegalArgumentException(out + " already holds a run; add --resume to continue it, or choose "
                        + "another --out");
            }
            return;
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--resume: " + out + " holds no run to resume (no " + SETTINGS + ")");
        }
        JsonNode saved;
        try {
            saved = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("--resume: " + file + " is damaged: " + e.getMessage(), e);
        }
        // Through the JSON text, as train.json was written: an int and a long of one value then compare equal.
        JsonNode now = JSON.readTree(JSON.writeValueAsString(settings));
        List<String> differences = new ArrayList<>();
        for (Iterator<String> it = now.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!now.get(key).equals(saved.get(key))) {
                differences.add(key + " " + (saved.has(key) ? saved.get(key) : "(absent)") + " -> " + now.get(key));
            }
        }
        saved.fieldNames().forEachRemaining(k -> {
            if (!now.has(k)) {
                differences.add(k + " " + saved.get(k) + " -> (absent)");
            }
        });
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("--resume: the settings differ from the run in " + out + " ("
                    + String.join("; ", differences) + "); resume with the run's own settings (see " + file + "), or start "
                    + "a new run in another --out");
        }
    }

    /** Records the settings of a new run (after every check passed, before the first step). */
    void writeSettings(Map<String, Object> settings) throws IOException {
        Files.createDirectories(out);
        JSON.writeValue(out.resolve(SETTINGS).toFile(), settings);
    }

    /** The settings every subcommand shares, for train.json. */
    Map<String, Object> commonSettings(String mode) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode);
        m.put("model", model.toAbsolutePath().normalize().toString());
        m.put("initial_adapter", adapter == null ? null : adapter.toAbsolutePath().normalize().toString());
        m.put("preset", preset().name());
        m.put("seed", seed);
        m.put("steps", steps);
        return m;
    }

    /**
     * Loads the model and attaches the adapter to train: the given one, or a new one with the preset's LoRA settings.
     *
     * @throws ModelFormatException when the model or adapter directory is missing or not a supported checkpoint
     */
    CausalLm loadModel(TrainPreset p) throws ModelFormatException {
        if (adapter != null) {
            if (loraRank != null || loraAlpha != null) {
                throw new IllegalArgumentException("--lora-r and --lora-alpha apply to a new adapter, not to --adapter " + adapter);
            }
            return CausalLm.load(model, adapter);
        }
        CausalLm lm = CausalLm.load(model);
        try {
            LoraConfig config = new LoraConfig(loraRank != null ? loraRank : p.loraRank(),
                    loraAlpha != null ? loraAlpha : p.loraAlpha(), p.loraDropout(), LoraConfig.MODULES, false);
            lm.attach(LoraAdapter.initialise(config, lm.config(), model.toAbsolutePath().normalize().getFileName().toString(),
                    seed));
            return lm;
        } catch (RuntimeException | ModelFormatException e) {
            lm.close();
            throw e;
        }
    }

    /** The LoRA part of train.json. */
    Map<String, Object> loraSettings(TrainPreset p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lora_r", adapter != null ? null : loraRank != null ? loraRank : p.loraRank());
        m.put("lora_alpha", adapter != null ? null : loraAlpha != null ? loraAlpha : p.loraAlpha());
        m.put("lora_dropout", adapter != null ? null : p.loraDropout());
        m.put("weight_decay", weightDecay);
        m.put("max_grad_norm", maxGradNorm);
        m.put("checkpoint_every", checkpointEvery);
        return m;
    }
}
