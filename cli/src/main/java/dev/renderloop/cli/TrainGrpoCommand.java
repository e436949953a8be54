package dev.renderloop.cli;

import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ChatMessage;
import dev.renderloop.model.ChatTemplate;
import dev.renderloop.model.ModelFormatException;
import dev.renderloop.model.SamplingParams;
import dev.renderloop.model.Tokenizer;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.Renderer;
import dev.renderloop.score.Metric;
import dev.renderloop.score.RewardSpec;
import dev.renderloop.task.Task;
import dev.renderloop.trainer.AdamW;
import dev.renderloop.trainer.GrpoLossConfig;
import dev.renderloop.trainer.GrpoSettings;
import dev.renderloop.trainer.GrpoTrainer;
import dev.renderloop.trainer.ImportanceSampling;
import dev.renderloop.trainer.LossType;
import dev.renderloop.trainer.RenderRewardScorer;
import dev.renderloop.trainer.RewardScaling;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop train grpo}: GRPO of a LoRA adapter with the render reward. Prompts are the agent's first request
 * for each task (so that {@code bench --policy local:MODEL+ADAPTER} asks what was trained); the reward renders every
 * completion on the warm pool and scores it against the task's reference with a {@link RewardSpec}. The default reward
 * is the domain's with the corrected VS; the paper's VS is refused unless {@code --allow-paper-vs}.
 */
@Command(name = "grpo", description = "GRPO of a LoRA adapter with the render reward (completions rendered in the sandbox "
        + "and scored against each task's reference).")
final class TrainGrpoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrainOptions options;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", hidden = true, paramLabel = "FILE")
    Path data;

    @Option(names = "--group", paramLabel = "G", description = "Completions per prompt (default: the preset's, 8).")
    Integer group;

    @Option(names = "--prompts-per-step", defaultValue = "1", paramLabel = "N", description = "Prompts per generation step "
            + "(default: ${DEFAULT-VALUE}).")
    int promptsPerStep;

    @Option(names = "--iterations", paramLabel = "MU", description = "Policy iterations per generation batch (default: the "
            + "preset's).")
    Integer iterations;

    @Option(names = "--beta", paramLabel = "B", description = "KL coefficient (default: the preset's).")
    Double beta;

    @Option(names = "--loss-type", paramLabel = "T", description = "grpo, bnpo, dr_grpo or dapo (default: the preset's).")
    String lossType;

    @Option(names = "--epsilon", paramLabel = "E", description = "Lower clipping range (default: the preset's).")
    Double epsilon;

    @Option(names = "--epsilon-high", paramLabel = "E", description = "Upper clipping range (default: --epsilon).")
    Double epsilonHigh;

    @Option(names = "--gspo", description = "Sequence-level importance ratio (GSPO) instead of per-token.")
    boolean gspo;

    @Option(names = "--scale-rewards", paramLabel = "S", description = "group, batch or none: divide advantages by that "
            + "std (default: the preset's, group).")
    String scaleRewards;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (default: the preset's).")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Top-p (default: the preset's).")
    Double topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Min-p (default: the preset's).")
    Double minP;

    @Option(names = "--max-prompt-length", paramLabel = "N", description = "Tasks whose prompt is longer are left out, and "
            + "counted (default: the preset's).")
    Integer maxPromptLength;

    @Option(names = "--max-completion-length", paramLabel = "N", description = "Tokens per completion (default: the "
            + "preset's).")
    Integer maxCompletionLength;

    @Option(names = "--reward", paramLabel = "SPEC", description = "Reward spec: arithmetic:CODE=W,VISUAL=W, "
            + "geometric:CODE,VISUAL, visual-format:VISUAL=W,format=W, vincicoder (default: 0.2 cbb + 0.8 vs_corrected for "
            + "manim, vincicoder otherwise).")
    String reward;

    @Option(names = "--allow-paper-vs", description = "Allow a reward that reads the paper's VS (vs_paper), which scores a "
            + "blank render 1.0 against a still reference.")
    boolean allowPaperVs;

    @Option(names = "--render-deadline", defaultValue = "60", paramLabel = "SECONDS", description = "How long one prompt's "
            + "renders may take; later ones score as failed renders (default: ${DEFAULT-VALUE}).")
    int renderDeadline;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainPreset preset;
        GrpoSettings settings;
        RewardSpec rewardSpec;
        List<Task> tasks;
        Map<String, Object> recorded;
        try {
            preset = options.preset();
            if (data != null) {
                throw new IllegalArgumentException("GRPO needs tasks with a domain and reference code to render: use --suite "
                        + "(a bundled suite, manimbench:PATH or a JSONL suite file), not --data");
            }
            if (options.suite == null) {
                throw new IllegalArgumentException("give --suite");
            }
            if (renderDeadline < 1) {
                throw new IllegalArgumentException("--render-deadline must be >= 1 second");
            }
            tasks = TrainData.tasks(options.suite, options.split, options.level, options.limit);
            String domain = tasks.get(0).domain();
            if (tasks.stream().anyMatch(t -> !t.domain().equals(domain))) {
                throw new IllegalArgumentException(options.suite + " mixes domains; GRPO trains on one domain per run "
                        + "(one system prompt, one reward)");
            }
            rewardSpec = RenderRewardScorer.checkTrainingSpec(reward != null ? RewardSpec.parse(reward)
                    : RenderRewardScorer.defaultSpec(domain), allowPaperVs);
            LossType type = lossType != null ? LossType.fromTrlName(lossType) : preset.lossType();
            double eps = epsilon != null ? epsilon : preset.epsilon();
            int completion = maxCompletionLength != null ? maxCompletionLength : preset.maxCompletionLength();
            GrpoLossConfig loss = new GrpoLossConfig(type, beta != null ? beta : preset.beta(), eps,
                    epsilonHigh != null ? epsilonHigh : epsilon != null ? eps : preset.epsilonHigh(),
                    gspo ? ImportanceSampling.SEQUENCE : ImportanceSampling.TOKEN, completion, preset.biasCorrectedKl());
            SamplingParams sampling = new SamplingParams(temperature != null ? temperature : preset.temperature(), 0,
                    topP != null ? topP : preset.topP(), minP != null ? minP : preset.minP(), 1.0, completion, java.util.Set.of(),
                    0);
            RewardScaling scaling = scaleRewards == null ? preset.scaling() : scaling(scaleRewards);
            settings = new GrpoSettings(options.steps, promptsPerStep, group != null ? group : preset.group(),
                    iterations != null ? iterations : preset.iterations(), loss, scaling,
                    options.lr != null ? options.lr : preset.grpoLr(),
                    options.warmupRatio != null ? options.warmupRatio : preset.grpoWarmupRatio(),
                    new AdamW.Settings(0.9, 0.999, 1e-8, options.weightDecay), options.maxGradNorm, sampling, options.seed,
                    options.checkpointEvery, TrainData.prompt(tasks.get(0)).get(0).content());
            recorded = options.commonSettings("grpo");
            recorded.put("suite", options.suite);
            recorded.put("split", options.split);
            recorded.put("level", options.level);
            recorded.put("limit", options.limit);
            recorded.putAll(options.loraSettings(preset));
            recorded.put("reward", rewardSpec.toString());
            recorded.put("lr", settings.lr());
            recorded.put("warmup_ratio", settings.warmupRatio());
            recorded.put("group", settings.group());
            recorded.put("prompts_per_step", promptsPerStep);
            recorded.put("iterations", settings.iterations());
            recorded.put("loss_type", loss.lossType().trlName());
            recorded.put("beta", loss.beta());
            recorded.put("epsilon", loss.epsilon());
            recorded.put("epsilon_high", loss.epsilonHigh());
            recorded.put("importance_sampling", loss.importanceSampling().toString());
            recorded.put("bias_corrected_kl", loss.biasCorrectedKl());
            recorded.put("scale_rewards", scaling.toString());
            recorded.put("temperature", sampling.temperature());
            recorded.put("top_p", sampling.topP());
            recorded.put("min_p", sampling.minP());
            recorded.put("max_prompt_length", maxPromptLength != null ? maxPromptLength : preset.maxPromptLength());
            recorded.put("max_completion_length", completion);
            recorded.put("render_deadline_s", renderDeadline);
            options.checkRunFolder(recorded);
        } catch (IllegalArgumentException e) {
            err.println("renderloop train grpo: " + e.getMessage());
            return ExitCode.USAGE;
        }
        int promptLimit = (int) recorded.get("max_prompt_length");
        try (ModelOptions.Models models = modelOptions.open();
             RenderEngine engine = engineOptions.builder().build();
             ReferenceScorer reference = new ReferenceScorer(engine, models.clip(), models.dino(), models.codebert());
             CausalLm lm = options.loadModel(preset);
             Tokenizer tokenizer = Tokenizer.load(options.model)) {
            String domain = tasks.get(0).domain();
            Renderer.Availability available = engine.availability(domain);
            if (!available.available()) {
                err.println("renderloop train grpo: the " + domain + " renderer is unavailable here: " + available.detail());
                return ExitCode.UNAVAILABLE;
            }
            Optional<String> missing = missingRewardPart(reference, tasks, rewardSpec);
            if (missing.isPresent()) {
                err.println("renderloop train grpo: reward " + rewardSpec + " cannot be computed: " + missing.get());
                return ExitCode.USAGE;
            }
            ChatTemplate template = ChatTemplate.of(tokenizer);
            List<Task> kept = new ArrayList<>();
            for (Task t : tasks) {
                List<ChatMessage> prompt = TrainData.prompt(t);
                if (tokenizer.encode(template.render(prompt, true)).length <= promptLimit) {
                    // The trainer adds the system prompt from the settings; the task carries the user message.
                    kept.add(new Task(t.id(), t.domain(), prompt.get(prompt.size() - 1).content(), t.code(), null, t.level()));
                }
            }
            if (kept.isEmpty()) {
                err.println("renderloop train grpo: every prompt is longer than --max-prompt-length " + promptLimit);
                return ExitCode.USAGE;
            }
            GrpoSettings withEos = new GrpoSettings(settings.steps(), settings.promptsPerStep(), settings.group(),
                    settings.iterations(), settings.loss(), settings.scaling(), settings.lr(), settings.warmupRatio(),
                    settings.adam(), settings.maxGradNorm(), new SamplingParams(settings.sampling().temperature(), 0,
                    settings.sampling().topP(), settings.sampling().minP(), 1.0, settings.sampling().maxNewTokens(),
                    tokenizer.eosTokenIds(), 0), settings.seed(), settings.checkpointEvery(), settings.systemPrompt());
            int concurrency = engineOptions.workers != null ? engineOptions.workers : Runtime.getRuntime().availableProcessors();
            try (RenderRewardScorer scorer = RenderRewardScorer.of(engine, reference, rewardSpec,
                    Duration.ofSeconds(renderDeadline), Math.max(concurrency, 1))) {
                GrpoTrainer trainer = new GrpoTrainer(lm, tokenizer, template, kept, scorer, withEos, options.out,
                        System::nanoTime, TrainOptions.console(err));
                if (!options.resume) {
                    options.writeSettings(recorded);
                }
                out.printf(Locale.ROOT, "grpo: %d tasks (%d left out: prompt over %d tokens), %d steps x %d prompts x G %d, "
                        + "%d iteration(s), %s, beta %s, lr %.3g, %s (%s preset)%n", kept.size(), tasks.size() - kept.size(),
                        promptLimit, withEos.steps(), withEos.promptsPerStep(), withEos.group(), withEos.iterations(),
                        withEos.loss().lossType(), withEos.loss().beta(), withEos.lr(), scorer.describe(), preset.name());
                out.flush();
                List<Map<String, Object>> m = trainer.train(options.resume);
                if (!m.isEmpty()) {
                    Map<String, Object> last = m.get(m.size() - 1);
                    out.printf(Locale.ROOT, "last step %s: reward %s, render success %s%n", last.get("step"),
                            last.get("reward_mean"), last.get("render_success"));
                }
            }
            Path adapter = options.out.resolve("adapter");
            out.println("metrics: " + options.out.resolve("metrics.jsonl"));
            out.println("adapter: " + adapter + "  (use: --adapter " + adapter + ", or --policy local:" + options.model + "+"
                    + adapter + ")");
            return ExitCode.OK;
        } catch (ModelFormatException e) {
            err.println("renderloop train grpo: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("renderloop train grpo: " + e.getMessage());
            return ExitCode.USAGE;
        }
    }

    private static RewardScaling scaling(String text) {
        try {
            return RewardScaling.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--scale-rewards: expected group, batch or none, got '" + text + "'");
        }
    }

    /**
     * Scores the first task's reference against itself and says which part of the spec is unavailable (a metric that
     * needs a model that was not given, or a metric name the scorer does not know), before any training.
     */
    static Optional<String> missingRewardPart(ReferenceScorer reference, List<Task> tasks, RewardSpec spec) {
        Task probe = tasks.get(0);
        RenderResult render = reference.reference(probe);
        if (!render.ok()) {
            return Optional.of("the reference of task " + probe.id() + " does not render (" + render.errorKind().wireName()
                    + "): " + render.errorTail(3));
        }
        List<Metric> metrics = reference.score(probe, probe.code(), render);
        List<String> keys = new ArrayList<>();
        keys.add(spec.visualKey());
        if (spec.formula() != RewardSpec.Formula.VISUAL_FORMAT) {
            keys.add(spec.codeKey());
        }
        for (String key : keys) {
            Optional<Metric> m = metrics.stream().filter(x -> x.name().equals(key)).findFirst();
            if (m.isEmpty()) {
                return Optional.of("no metric named '" + key + "' for the " + probe.domain() + " domain (known: "
                        + metrics.stream().map(Metric::name).toList() + ")");
            }
            if (!m.get().available()) {
                return Optional.of(key + " is unavailable: " + m.get().unavailable() + hint(key));
            }
        }
        return Optional.empty();
    }

    private static String hint(String key) {
        if (key.equals("cbb") || key.startsWith("codebert")) {
            return " (give --codebert-model, or use a code part that needs no model, e.g. codebleu)";
        }
        if (key.startsWith("vs_")) {
            return " (give --clip-model, or use vs_corrected_ssim, which needs no model)";
        }
        return "";
    }
}
