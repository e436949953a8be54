package dev.renderloop.cli;

import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ChatTemplate;
import dev.renderloop.model.ModelFormatException;
import dev.renderloop.model.Tokenizer;
import dev.renderloop.task.Task;
import dev.renderloop.trainer.AdamW;
import dev.renderloop.trainer.SftExample;
import dev.renderloop.trainer.SftSettings;
import dev.renderloop.trainer.SftTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop train sft}: completion-only SFT of a LoRA adapter on (prompt, reference code) pairs: a suite's tasks
 * (prompted as the agent prompts) or a chat corpus. A seeded share of the training data is held out for validation
 * loss; a test split is never read.
 */
@Command(name = "sft", description = "Completion-only SFT of a LoRA adapter on a suite's reference code or a chat corpus "
        + "(JSONL/Parquet in TRL's messages layout). Validation loss on a held-out part of the training data.")
final class TrainSftCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrainOptions options;

    @Option(names = "--data", paramLabel = "FILE", description = "A .jsonl or .parquet corpus in the chat messages layout "
            + "(e.g. data build's text2code.jsonl), instead of --suite.")
    Path data;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "Examples per micro-batch (default: "
            + "${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--accumulation", defaultValue = "1", paramLabel = "N", description = "Micro-batches per optimizer step "
            + "(default: ${DEFAULT-VALUE}).")
    int accumulation;

    @Option(names = "--max-length", paramLabel = "N", description = "Most prompt + completion tokens (default: the preset's).")
    Integer maxLength;

    @Option(names = "--validation-fraction", defaultValue = "0.1", paramLabel = "F", description = "Share of the training "
            + "data held out for validation loss (default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--eval-every", defaultValue = "10", paramLabel = "N", description = "Validation loss every N steps and "
            + "after the last (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainPreset preset;
        SftSettings settings;
        List<SftExample> examples;
        Map<String, Object> recorded;
        try {
            preset = options.preset();
            if ((options.suite == null) == (data == null)) {
                throw new IllegalArgumentException("give either --suite or --data");
            }
            settings = new SftSettings(options.steps, batchSize, accumulation, options.lr != null ? options.lr : preset.sftLr(),
                    options.warmupRatio != null ? options.warmupRatio : preset.sftWarmupRatio(),
                    new AdamW.Settings(0.9, 0.999, 1e-8, options.weightDecay), options.maxGradNorm,
                    maxLength != null ? maxLength : preset.sftMaxLength(), validationFraction, evalEvery, options.seed,
                    options.checkpointEvery);
            recorded = options.commonSettings("sft");
            recorded.put("data", data != null ? data.toAbsolutePath().normalize().toString() : options.suite);
            recorded.put("split", options.split);
            recorded.put("level", options.level);
            recorded.put("limit", options.limit);
            recorded.putAll(options.loraSettings(preset));
            recorded.put("lr", settings.lr());
            recorded.put("warmup_ratio", settings.warmupRatio());
            recorded.put("batch_size", batchSize);
            recorded.put("accumulation", accumulation);
            recorded.put("max_length", settings.maxLength());
            recorded.put("validation_fraction", validationFraction);
            recorded.put("eval_every", evalEvery);
            options.checkRunFolder(recorded);
            examples = data != null ? TrainData.corpus(data) : suiteExamples();
        } catch (IllegalArgumentException e) {
            err.println("renderloop train sft: " + e.getMessage());
            return ExitCode.USAGE;
        }
        try (CausalLm lm = options.loadModel(preset); Tokenizer tokenizer = Tokenizer.load(options.model)) {
            SftTrainer trainer = new SftTrainer(lm, tokenizer, ChatTemplate.of(tokenizer), examples, settings, options.out,
                    TrainOptions.console(err));
            if (!options.resume) {
                options.writeSettings(recorded);
            }
            out.printf(Locale.ROOT, "sft: %d examples (%d trained on, %d held out for validation, %d dropped: prompt "
                    + "reaches --max-length), %d steps of %d x %d, lr %.3g (%s preset)%n", examples.size(),
                    trainer.trainSize(), trainer.validationSize(), trainer.dropped(), settings.steps(), batchSize,
                    accumulation, settings.lr(), preset.name());
            out.flush();
            List<Map<String, Object>> m = trainer.train(options.resume);
            summary(out, m);
            return ExitCode.OK;
        } catch (ModelFormatException e) {
            err.println("renderloop train sft: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("renderloop train sft: " + e.getMessage());
            return ExitCode.USAGE;
        }
    }

    private List<SftExample> suiteExamples() throws IOException {
        List<SftExample> out = new ArrayList<>();
        for (Task t : TrainData.tasks(options.suite, options.split, options.level, options.limit)) {
            out.add(TrainData.example(t));
        }
        return out;
    }

    private void summary(PrintWriter out, List<Map<String, Object>> m) {
        Path adapter = options.out.resolve("adapter");
        if (!m.isEmpty()) {
            Map<String, Object> last = m.get(m.size() - 1);
            out.printf(Locale.ROOT, "last step %s: loss %.4f%s%n", last.get("step"), ((Number) last.get("loss")).doubleValue(),
                    last.containsKey("val_loss") ? String.format(Locale.ROOT, ", validation loss %.4f",
                            ((Number) last.get("val_loss")).doubleValue()) : "");
        }
        out.println("metrics: " + options.out.resolve("metrics.jsonl"));
        out.println("adapter: " + adapter + "  (use: --adapter " + adapter + ", or --policy local:" + options.model + "+"
                + adapter + ")");
    }

}
