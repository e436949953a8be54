package dev.renderloop.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ChatTemplate;
import dev.renderloop.model.LoraAdapter;
import dev.renderloop.model.LoraConfig;
import dev.renderloop.model.SamplingParams;
import dev.renderloop.model.Tokenizer;
import dev.renderloop.task.Task;
import dev.renderloop.trainer.AdamW;
import dev.renderloop.trainer.CompletionScorer;
import dev.renderloop.trainer.GrpoLossConfig;
import dev.renderloop.trainer.GrpoSettings;
import dev.renderloop.trainer.GrpoTrainer;
import dev.renderloop.trainer.ImportanceSampling;
import dev.renderloop.trainer.LossType;
import dev.renderloop.trainer.RewardScaling;
import dev.renderloop.trainer.ScoredCompletion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code renderloop perf train [--python PATH] [--model DIR] [--steps N] [--warmup-steps N] [--max-new-tokens N]}:
 * GRPO steps of this project's {@link GrpoTrainer} and of TRL's {@code GRPOTrainer} in one run, on the same tiny
 * model, the same four prompts, G = 8, the same LoRA shape (r 8, alpha 16, all seven projections) and the same loss
 * settings, with the time of each step split into sampling, rewards, forward/backward and optimizer, and the ratio
 * of the step times (ours / TRL's; the target is at most 1.0).
 *
 * <p>The reward is fixed and needs no rendering (the colour toy's rule: a table indexed by the completion's first
 * character), so that the step times compare the trainers rather than the render engine; the output says so. TRL's
 * side is the committed script {@code perf_train_trl.py} (this jar's resource), run with {@code --python}; where that
 * interpreter cannot run it (no trl, no torch) the command times this project alone, reports TRL as unavailable and
 * exits 3. Each side runs {@code --warmup-steps} untimed steps first; the figures are medians over the timed steps.
 *
 * <p>Phases. Ours, from the trainer's metrics: sampling {@code time_sampling_s}; rewards {@code time_reward_wall_s};
 * forward/backward {@code time_backward_s - time_optimizer_s} (reference and policy log-probs, loss, backward);
 * optimizer {@code time_optimizer_s} (gradient clipping, AdamW). TRL's, timed around its own methods:
 * sampling {@code _generate}; rewards {@code _calculate_rewards}; optimizer the torch optimizer's step; forward/backward
 * the rest of the step between the Trainer's step callbacks (reference log-probs, loss, backward, clipping).
 */
@Command(name = "train", description = "One GRPO step (G=8, 4 prompts) vs. TRL's GRPOTrainer on the same tiny model, time per phase.")
final class PerfTrainCommand implements Callable<Integer> {
    /** The target: our step time at most TRL's. */
    static final double TARGET_RATIO = 1.0;
    static final Path DEFAULT_MODEL = Path.of("model/src/test/resources/dev/renderloop/model/qwen2-tiny-chat");
    static final List<String> PROMPTS = List.of("Draw a red square.", "A square, filled red.", "Paint a red tile.",
            "Red square, please.");
    static final int GROUP = 8;
    /** The colour toy's rewards by first code point mod 4 (red, blue, black, white vs. a red reference). */
    static final double[] REWARD_TABLE = {1.0, 0.67, 0.0, 0.55};
    static final double LR = 1e-4;
    static final double BETA = 0.04;
    static final double EPSILON = 0.2;
    static final double EPSILON_HIGH = 0.28;
    static final long SEED = 17;
    static final List<String> PHASES = List.of("sampling", "rewards", "forward_backward", "optimizer", "total");

    @Spec
    CommandSpec spec;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with torch, transformers, peft and trl for TRL's side (default: ${DEFAULT-VALUE} on PATH).")
    String python = "python3";

    @Option(names = "--model", paramLabel = "DIR",
            description = "A Qwen2 checkpoint with tokenizer.json and a chat template (default: the repository's tiny test model, ${DEFAULT-VALUE}).")
    Path model = DEFAULT_MODEL;

    @Option(names = "--steps", paramLabel = "N", description = "Timed GRPO steps per side, median reported (default: ${DEFAULT-VALUE}).")
    // The step of a long run is what matters: ten timed steps after three warm-ups (both sides) let the JIT compile
    // the trainer's hot loops first, and a median of ten is not moved by one slow step (a young collection, a neighbour).
    int steps = 10;

    @Option(names = "--warmup-steps", paramLabel = "N", description = "Untimed GRPO steps first, per side (default: ${DEFAULT-VALUE}).")
    int warmupSteps = 3;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Completion length limit, both sides (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = 32;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (steps < 1 || warmupSteps < 0 || maxNewTokens < 1) {
            err.println("renderloop perf train: --steps and --max-new-tokens must be at least 1, --warmup-steps at least 0");
            return ExitCode.USAGE;
        }
        if (!Files.isRegularFile(model.resolve("config.json")) || !Files.isRegularFile(model.resolve("tokenizer.json"))) {
            err.println("renderloop perf train: " + model + " is not a model folder (config.json and tokenizer.json); "
                    + "pass --model DIR (the default is the repository's tiny test model, relative to the repository root)");
            return ExitCode.USAGE;
        }
        out.printf(Locale.ROOT, "perf train: one GRPO step = %d prompts x G=%d completions (<= %d new tokens, temperature 1), "
                + "LoRA r 8 alpha 16 on all seven projections, loss dr_grpo, beta %.2f, 1 iteration, model %s; %d cores, Java %s%n",
                PROMPTS.size(), GROUP, maxNewTokens, BETA, model, Runtime.getRuntime().availableProcessors(), Runtime.version().feature());
        out.println("  reward: FIXED, no rendering (the colour toy's table on the first character), so that the step compares the trainers, not the render engine");
        out.printf(Locale.ROOT, "  %d warm-up step(s) then the median of %d timed step(s), both sides; ratio = renderloop / TRL step time (target <= %.1fx)%n",
                warmupSteps, steps, TARGET_RATIO);

        Map<String, Double> ours;
        double oursLength;
        int oursThreads;
        int oursBatchThreads;
        Path scratch = Files.createTempDirectory("renderloop-perf-train-");
        try {
            List<Map<String, Object>> metrics;
            try (CausalLm lm = CausalLm.load(model); Tokenizer tokenizer = Tokenizer.load(model)) {
                oursThreads = lm.threads();
                oursBatchThreads = lm.batchThreads();
                lm.attach(LoraAdapter.initialise(new LoraConfig(8, 16, 0, LoraConfig.MODULES, false), lm.config(),
                        model.getFileName().toString(), SEED));
                GrpoTrainer trainer = new GrpoTrainer(lm, tokenizer, ChatTemplate.of(tokenizer), tasks(),
                        new FixedReward(), settings(tokenizer), scratch.resolve("run"), System::nanoTime,
                        new PrintStream(OutputStream.nullOutputStream()));
                metrics = trainer.train(false);
            }
            List<Map<String, Object>> timed = metrics.subList(warmupSteps, metrics.size());
            ours = medians(timed.stream().map(PerfTrainCommand::oursPhases).toList());
            oursLength = timed.stream().mapToDouble(m -> ((Number) m.get("completion_length")).doubleValue()).average().orElse(Double.NaN);

            Reference trl = runTrl(scratch);
            List<String[]> table = new ArrayList<>();
            // decoding threads + whole-batch (training) threads, see CausalLm.batchThreads
            table.add(row("renderloop (DJL, " + oursThreads + "+" + oursBatchThreads + " threads)", ours, oursLength));
            if (trl.error() != null) {
                table.add(new String[] {"TRL GRPOTrainer", "unavailable", "", "", "", "", "", trl.error()});
                printTable(out, table);
                out.println("  TRL side unavailable: only this project was timed (--python PATH to a Python with torch, transformers, peft and trl)");
                return ExitCode.UNAVAILABLE;
            }
            List<Map<String, Double>> trlSteps = new ArrayList<>();
            double trlLength = 0;
            for (JsonNode s : trl.json().get("steps")) {
                Map<String, Double> m = new LinkedHashMap<>();
                for (String p : PHASES) {
                    m.put(p, s.get(p).asDouble());
                }
                trlSteps.add(m);
                trlLength += s.path("completion_length").asDouble(Double.NaN);
            }
            Map<String, Double> theirs = medians(trlSteps);
            table.add(row("TRL GRPOTrainer (" + trl.json().get("attn_implementation").asText() + ", "
                    + trl.json().get("threads").asInt() + " threads)", theirs, trlLength / trlSteps.size()));
            String[] ratio = new String[8];
            ratio[0] = "ratio (renderloop / TRL)";
            for (int i = 0; i < PHASES.size(); i++) {
                double t = theirs.get(PHASES.get(i));
                ratio[i + 1] = t > 0 ? String.format(Locale.ROOT, "%.2fx", ours.get(PHASES.get(i)) / t) : "n/a";
            }
            ratio[6] = "";
            double stepRatio = ours.get("total") / theirs.get("total");
            ratio[7] = stepRatio <= TARGET_RATIO ? "target <= 1.0x met" : "target <= 1.0x NOT met";
            table.add(ratio);
            printTable(out, table);
            out.println("  renderloop threads: D+B = PyTorch threads for decoding + for whole-batch passes (training, log-probs)");
            // per step and phase, so that a swing in the median shows where it comes from
            for (String phase : List.of("total", "sampling", "forward_backward")) {
                String name = phase.equals("total") ? "step" : phase;
                out.println("  timed steps in order, " + name + " s: renderloop "
                        + stepTimes(timed.stream().map(m -> oursPhases(m).get(phase)).toList())
                        + "; TRL " + stepTimes(trlSteps.stream().map(m -> m.get(phase)).toList()));
            }
            out.println("  TRL: " + trl.json().get("versions").asText());
            return ExitCode.OK;
        } finally {
            ScratchTree.delete(scratch);
        }
    }

    private static List<Task> tasks() {
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            tasks.add(new Task("perf-" + i, "svg", PROMPTS.get(i), "", null, null));
        }
        return tasks;
    }

    private GrpoSettings settings(Tokenizer tokenizer) {
        // TRL 1.13's defaults where the issue names none: the KL multiplied by the ratio (use_bias_correction_kl)
        GrpoLossConfig loss = new GrpoLossConfig(LossType.DR_GRPO, BETA, EPSILON, EPSILON_HIGH, ImportanceSampling.TOKEN,
                maxNewTokens, true);
        SamplingParams sampling = new SamplingParams(1.0, 0, 1.0, 0.0, 1.0, maxNewTokens, tokenizer.eosTokenIds(), 0);
        int total = warmupSteps + steps;
        return new GrpoSettings(total, PROMPTS.size(), GROUP, 1, loss, RewardScaling.GROUP, LR, 0.0,
                new AdamW.Settings(0.9, 0.999, 1e-8, 0.0), 1.0, sampling, SEED, total, null);
    }

    private static Map<String, Double> oursPhases(Map<String, Object> m) {
        double sampling = num(m.get("time_sampling_s"));
        double rewards = num(m.get("time_reward_wall_s"));
        double optimizer = num(m.get("time_optimizer_s"));
        double backward = num(m.get("time_backward_s")) - optimizer;
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("sampling", sampling);
        out.put("rewards", rewards);
        out.put("forward_backward", backward);
        out.put("optimizer", optimizer);
        out.put("total", sampling + rewards + backward + optimizer);
        return out;
    }

    private static String stepTimes(List<Double> seconds) {
        return String.join(" ", seconds.stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).toList());
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Per phase, the median over steps (the lower middle for an even count). */
    static Map<String, Double> medians(List<Map<String, Double>> steps) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String p : PHASES) {
            double[] v = steps.stream().mapToDouble(s -> s.get(p)).sorted().toArray();
            out.put(p, v[(v.length - 1) / 2]);
        }
        return out;
    }

    /** The colour toy's reward without rendering: {@link #REWARD_TABLE} by the first non-blank character. */
    static final class FixedReward implements CompletionScorer {
        @Override
        public List<ScoredCompletion> score(Task task, List<String> completions) {
            List<ScoredCompletion> out = new ArrayList<>();
            for (String c : completions) {
                long t0 = System.nanoTime();
                String s = c.strip();
                double r = s.isEmpty() ? 0 : REWARD_TABLE[s.codePointAt(0) % REWARD_TABLE.length];
                out.add(new ScoredCompletion(r, Map.of("colour", r), false, 0, System.nanoTime() - t0));
            }
            return out;
        }

        @Override
        public String describe() {
            return "fixed colour-toy table " + Arrays.toString(REWARD_TABLE) + " (no rendering)";
        }
    }

    private record Reference(JsonNode json, String error) {
    }

    private Reference runTrl(Path scratch) throws IOException, InterruptedException {
        Path script = scratch.resolve("perf_train_trl.py");
        try (InputStream in = Objects.requireNonNull(PerfTrainCommand.class.getResourceAsStream("perf_train_trl.py"),
                "perf_train_trl.py missing from the cli jar")) {
            Files.write(script, in.readAllBytes());
        }
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("prompts", PROMPTS);
        cfg.put("group", GROUP);
        cfg.put("max_new_tokens", maxNewTokens);
        cfg.put("temperature", 1.0);
        cfg.put("lr", LR);
        cfg.put("beta", BETA);
        cfg.put("loss_type", "dr_grpo");
        cfg.put("epsilon", EPSILON);
        cfg.put("epsilon_high", EPSILON_HIGH);
        cfg.put("max_grad_norm", 1.0);
        cfg.put("seed", SEED);
        cfg.put("lora", Map.of("r", 8, "alpha", 16, "modules", LoraConfig.MODULES));
        cfg.put("reward_table", REWARD_TABLE);
        cfg.put("warmup_steps", warmupSteps);
        cfg.put("timed_steps", steps);
        cfg.put("threads", 0);
        Path config = scratch.resolve("trl-config.json");
        json.writeValue(config.toFile(), cfg);
        Path result = scratch.resolve("trl-result.json");
        Path log = scratch.resolve("trl.log");
        Process p;
        try {
            p = new ProcessBuilder(python, script.toString(), model.toAbsolutePath().toString(), config.toString(),
                    result.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            return new Reference(null, "cannot start '" + python + "': " + e.getMessage());
        }
        if (!p.waitFor(60, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return new Reference(null, "TRL's side did not finish in 60 minutes");
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(result)) {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
            return new Reference(null, python + " exited " + p.exitValue() + ": "
                    + String.join(" | ", lines.subList(Math.max(0, lines.size() - 2), lines.size())));
        }
        return new Reference(json.readTree(result.toFile()), null);
    }

    private static String[] row(String side, Map<String, Double> phases, double length) {
        String[] r = new String[8];
        r[0] = side;
        for (int i = 0; i < PHASES.size(); i++) {
            r[i + 1] = String.format(Locale.ROOT, "%.3f", phases.get(PHASES.get(i)));
        }
        r[6] = String.format(Locale.ROOT, "%.1f", length);
        r[7] = "";
        return r;
    }

    private static void printTable(PrintWriter out, List<String[]> rows) {
        String[] header = {"side", "sampling s", "rewards s", "fwd/bwd s", "optimizer s", "step s", "mean tokens", ""};
        List<String[]> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] widths = new int[header.length];
        for (String[] r : all) {
            for (int c = 0; c < r.length; c++) {
                widths[c] = Math.max(widths[c], r[c].length());
            }
        }
        for (String[] r : all) {
            StringBuilder line = new StringBuilder(" ");
            for (int c = 0; c < r.length; c++) {
                String pad = " ".repeat(widths[c] - r[c].length());
                line.append(' ').append(c == 0 || c == 7 ? r[c] + pad : pad + r[c]).append(' ');
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
