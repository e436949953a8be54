package dev.renderloop.trainer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ChatMessage;
import dev.renderloop.model.ChatTemplate;
import dev.renderloop.model.CompletionLogProbs;
import dev.renderloop.model.LoraAdapter;
import dev.renderloop.model.Sample;
import dev.renderloop.model.Tokenizer;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * GRPO on the in-process model's LoRA adapter, with a {@link CompletionScorer} (the render reward) as the reward.
 *
 * <h2>One generation step</h2>
 * <ol>
 *   <li>Sampling: the next {@code promptsPerStep} tasks of a seeded per-epoch permutation; each task's description
 *       is formatted with the chat template and {@code group} completions are sampled with a seed derived from
 *       (run seed, step, prompt).</li>
 *   <li>Rendering and scoring: {@link CompletionScorer#score} per task (renders run concurrently there).</li>
 *   <li>Advantages: {@link GroupAdvantages} per group.</li>
 *   <li>Old-policy log-probs (only when {@code iterations > 1}; otherwise the detached current ones, as TRL) and
 *       reference log-probs (adapter disabled; only when beta > 0).</li>
 *   <li>{@code iterations} optimizer steps on the same batch: {@link GrpoLoss}, backward, global-norm clipping,
 *       {@link AdamW} with the {@link LinearSchedule}'s rate.</li>
 * </ol>
 * Each step appends one JSON line to {@code RUN/metrics.jsonl} (reward mean/std and components, render success,
 * loss, KL, clip fractions, entropy estimate, completion length, grad norm, learning rate, and the step's time:
 * {@code time_sampling_s}, {@code time_rendering_s} and {@code time_scoring_s} summed over completions,
 * {@code time_reward_wall_s}, {@code time_backward_s} (log-probs, loss, backward and optimizer) and the part of it
 * in the optimizer, {@code time_optimizer_s}) and prints one console line with an ETA; every
 * {@code checkpointEvery} steps (and after the last) a checkpoint is written, and the final adapter goes to
 * {@code RUN/adapter} (PEFT format, loadable with {@code --adapter}).
 *
 * <h2>Differences from TRL</h2>
 * Log-probs for the loss (policy, old policy and reference) are taken at the sampling temperature, as TRL does
 * (it divides the logits by the temperature first). The entropy is estimated from the sampled tokens' log-probs under the sampling distribution ({@code mean(-log p)},
 * an unbiased estimate of that distribution's entropy), not computed from the full logits.
 */
public final class GrpoTrainer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CausalLm lm;
  private final LoraAdapter adapter;
  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final List<Task> tasks;
  private final CompletionScorer scorer;
  private final GrpoSettings settings;
  private final Path run;
  private final LongSupplier nanoTime;
  private final PrintStream console;
  private final AdamW optimizer;
  private final LinearSchedule schedule;

  /**
   * @param lm the policy, with a LoRA adapter attached (its weights are trained in place)
   * @param tokenizer and {@code template}: how task descriptions become prompt ids
   * @param tasks the prompts; each task's reference code is the reward's target
   * @param scorer the reward
   * @param run the run directory (created)
   * @param nanoTime clock for the time split and the ETA
   * @param console progress lines (one per step)
   * @throws IllegalArgumentException when the model has no adapter or there are no tasks
   */
  public GrpoTrainer(CausalLm lm, Tokenizer tokenizer, ChatTemplate template, List<Task> tasks,
      CompletionScorer scorer, GrpoSettings settings, Path run, LongSupplier nanoTime, PrintStream console) {
    this.lm = Objects.requireNonNull(lm, "lm");
    this.adapter = lm.adapter().orElseThrow(() -> new IllegalArgumentException("the model has no LoRA adapter"));
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.template = Objects.requireNonNull(template, "template");
    this.tasks = List.copyOf(tasks);
    if (this.tasks.isEmpty()) {
      throw new IllegalArgumentException("no tasks to train on");
    }
    this.scorer = Objects.requireNonNull(scorer, "scorer");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.run = Objects.requireNonNull(run, "run");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.console = Objects.requireNonNull(console, "console");
    this.optimizer = new AdamW(settings.adam());
    this.schedule = LinearSchedule.withWarmupRatio(settings.lr(), settings.warmupRatio(), settings.optimizerSteps());
  }

  /**
   * Trains to {@code settings.steps()} generation steps.
   *
   * @param resume continue from the run's latest checkpoint (metrics after it are dropped and recomputed); without
   *     it, a run directory that already holds metrics is refused
   * @return the metrics of the steps run by this call
   * @throws IOException when the run directory cannot be written or a checkpoint cannot be read
   * @throws IllegalStateException when {@code resume} is false and the run directory already holds a run
   */
  public List<Map<String, Object>> train(boolean resume) throws IOException {
    Files.createDirectories(run);
    Path metrics = run.resolve("metrics.jsonl");
    int start = Checkpoints.begin(run, metrics, resume, adapter, optimizer, settings.seed(), settings.steps(), console);
    adapter.setTrainable(true);
    List<Map<String, Object>> out = new ArrayList<>();
    long began = nanoTime.getAsLong();
    for (int step = start; step < settings.steps(); step++) {
      Map<String, Object> m = step(step);
      out.add(m);
      Files.writeString(metrics, JSON.writeValueAsString(m) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      double elapsed = (nanoTime.getAsLong() - began) / 1e9;
      int done = step + 1 - start;
      double eta = elapsed / done * (settings.steps() - step - 1);
      console.println(progress(m, step + 1, eta));
      if ((step + 1) % settings.checkpointEvery() == 0 || step + 1 == settings.steps()) {
        Checkpoints.write(run, step + 1, adapter, optimizer, settings.seed(), (step + 1) * settings.promptsPerStep());
      }
    }
    adapter.save(run.resolve("adapter"));
    return out;
  }

  private Map<String, Object> step(int step) {
    int g = settings.group();
    List<Task> batch = new ArrayList<>();
    for (int j = 0; j < settings.promptsPerStep(); j++) {
      batch.add(taskAt(step * settings.promptsPerStep() + j));
    }
    // 1. sampling
    long t0 = nanoTime.getAsLong();
    List<long[]> prompts = new ArrayList<>();
    List<long[]> completions = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    double negLogP = 0;
    int sampledTokens = 0;
    // All prompts of the step decoded together (one forward per token for every row), each with its own seed: the
    // samples equal per-prompt sampling's (CausalLmSamplingIT), in a fraction of the native calls.
    long[][] stepPrompts = new long[batch.size()][];
    long[] seeds = new long[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      stepPrompts[i] = promptIds(batch.get(i));
      seeds[i] = seed(step, i);
    }
    List<List<Sample>> groups = lm.sample(stepPrompts, settings.sampling(), seeds, g);
    for (int i = 0; i < batch.size(); i++) {
      long[] promptIds = stepPrompts[i];
      for (Sample s : groups.get(i)) {
        prompts.add(promptIds);
        completions.add(s.tokenIds());
        texts.add(tokenizer.decode(s.tokenIds(), true));
        for (float lp : s.logProbs()) {
          negLogP -= lp;
        }
        sampledTokens += s.tokenIds().length;
      }
    }
    long t1 = nanoTime.getAsLong();
    // 2. rendering and scoring
    float[] rewards = new float[texts.size()];
    long renderNanos = 0;
    long scoreNanos = 0;
    int rendered = 0;
    Map<String, double[]> components = new TreeMap<>();
    for (int i = 0; i < batch.size(); i++) {
      List<ScoredCompletion> scored = scorer.score(batch.get(i), texts.subList(i * g, (i + 1) * g));
      for (int k = 0; k < g; k++) {
        ScoredCompletion s = scored.get(k);
        rewards[i * g + k] = (float) s.reward();
        renderNanos += s.renderNanos();
        scoreNanos += s.scoreNanos();
        rendered += s.rendered() ? 1 : 0;
        s.components().forEach((key, v) -> {
          double[] acc = components.computeIfAbsent(key, x -> new double[2]);
          acc[0] += v;
          acc[1]++;
        });
      }
    }
    long t2 = nanoTime.getAsLong();
    // 3. advantages
    float[] advantages = GroupAdvantages.compute(rewards, g, settings.scaling());
    // 4. old-policy and reference log-probs
    long[][] p = prompts.toArray(long[][]::new);
    long[][] c = completions.toArray(long[][]::new);
    int width = 0;
    for (long[] row : c) {
      width = Math.max(width, row.length);
    }
    // every log-prob of the loss is taken at the sampling temperature, as TRL's _get_per_token_logps_and_entropies
    double temperature = logProbTemperature();
    float[] old = settings.iterations() > 1 ? padded(lm.logProbs(p, c, temperature), width) : null;
    float[] ref = null;
    if (settings.loss().beta() != 0) {
      lm.enableAdapter(false);
      try {
        ref = padded(lm.logProbs(p, c, temperature), width);
      } finally {
        lm.enableAdapter(true);
      }
    }
    // 5. policy iterations
    double loss = 0;
    double kl = 0;
    double clipLow = 0;
    double clipHigh = 0;
    double clipRegion = 0;
    double gradNorm = 0;
    double lr = 0;
    long optimizerNanos = 0;
    for (int it = 0; it < settings.iterations(); it++) {
      adapter.zeroGradients();
      try (NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch");
          GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        CompletionLogProbs lp = lm.completionLogProbs(owner, p, c, seed(step, 100_000 + it), temperature);
        Shape shape = lp.values().getShape();
        NDArray oldArray = old == null ? lp.values().stopGradient() : owner.create(old, shape);
        NDArray refArray = ref == null ? null : owner.create(ref, shape);
        GrpoLossResult r = GrpoLoss.compute(settings.loss(), lp.values(), lp.mask(), oldArray, refArray, advantages,
            LossNormaliser.single(lp.tokens()));
        collector.backward(r.loss());
        loss += r.loss().getFloat();
        kl += r.kl();
        clipLow += r.clipLow();
        clipHigh += r.clipHigh();
        clipRegion += r.clipRegion();
      }
      long optimizerStart = nanoTime.getAsLong();  // clipping and AdamW, timed apart for `perf train`
      Map<String, float[]> grads = AdapterWeights.gradients(adapter);
      gradNorm += GradientClipping.clipByGlobalNorm(grads.values(), settings.maxGradNorm());
      Map<String, float[]> params = AdapterWeights.values(adapter);
      double rate = schedule.rate(optimizer.steps());
      lr += rate;
      optimizer.step(params, grads, rate);
      AdapterWeights.write(adapter, params);
      optimizerNanos += nanoTime.getAsLong() - optimizerStart;
    }
    adapter.zeroGradients();
    long t3 = nanoTime.getAsLong();

    int n = settings.iterations();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step + 1);
    double mean = 0;
    int scoredCount = 0;
    for (float r : rewards) {
      if (!Float.isNaN(r)) {
        mean += r;
        scoredCount++;
      }
    }
    mean = scoredCount == 0 ? Double.NaN : mean / scoredCount;
    double var = 0;
    for (float r : rewards) {
      if (!Float.isNaN(r)) {
        var += (r - mean) * (r - mean);
      }
    }
    m.put("reward_mean", finite(mean));
    m.put("reward_std", finite(scoredCount > 1 ? Math.sqrt(var / (scoredCount - 1)) : 0));
    m.put("reward_unscored", rewards.length - scoredCount);
    Map<String, Object> comp = new LinkedHashMap<>();
    components.forEach((k, acc) -> comp.put(k, acc[0] / acc[1]));
    m.put("components", comp);
    m.put("render_success", (double) rendered / rewards.length);
    m.put("loss", loss / n);
    m.put("kl", settings.loss().beta() == 0 ? null : kl / n);
    m.put("clip_low", clipLow / n);
    m.put("clip_high", clipHigh / n);
    m.put("clip_region", clipRegion / n);
    m.put("entropy_estimate", sampledTokens == 0 ? null : negLogP / sampledTokens);
    m.put("completion_length", (double) sampledTokens / texts.size());
    m.put("grad_norm", gradNorm / n);
    m.put("lr", lr / n);
    m.put("time_sampling_s", (t1 - t0) / 1e9);
    m.put("time_rendering_s", renderNanos / 1e9);
    m.put("time_scoring_s", scoreNanos / 1e9);
    m.put("time_reward_wall_s", (t2 - t1) / 1e9);
    m.put("time_backward_s", (t3 - t2) / 1e9);
    // the part of time_backward_s spent reading gradients, clipping, in AdamW and writing the weights back
    m.put("time_optimizer_s", optimizerNanos / 1e9);
    return m;
  }

  /**
   * The temperature the loss's log-probs are taken at: the sampling temperature. Greedy sampling (temperature 0)
   * has no distribution to divide by; its log-probs are taken at temperature 1.
   */
  private double logProbTemperature() {
    double t = settings.sampling().temperature();
    return t > 0 ? t : 1.0;
  }

  private static Object finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private Task taskAt(int position) {
    int size = tasks.size();
    int epoch = position / size;
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new Random(settings.seed() * 31 + epoch));
    return tasks.get(order.get(position % size));
  }

  private long[] promptIds(Task task) {
    List<ChatMessage> messages = new ArrayList<>();
    if (settings.systemPrompt() != null) {
      messages.add(ChatMessage.system(settings.systemPrompt()));
    }
    messages.add(ChatMessage.user(task.description()));
    return tokenizer.encode(template.render(messages, true));
  }

  /** The seed of draw {@code index} of step {@code step}: a function of the run seed and both, nothing else. */
  private long seed(int step, int index) {
    return new SplittableRandom(settings.seed() ^ (0x9E3779B97F4A7C15L * (step * 1_000_003L + index + 1)))
        .nextLong();
  }

  private static float[] padded(float[][] rows, int width) {
    float[] out = new float[rows.length * width];
    for (int b = 0; b < rows.length; b++) {
      System.arraycopy(rows[b], 0, out, b * width, rows[b].length);
    }
    return out;
  }

  private String progress(Map<String, Object> m, int step, double etaSeconds) {
    int width = 20;
    int filled = (int) Math.round(width * (double) step / settings.steps());
    return String.format(java.util.Locale.ROOT,
        "[%s%s] step %d/%d reward %.3f±%.3f render %.0f%% clip %.3f len %.1f | sample %.1fs render %.1fs "
            + "score %.1fs backward %.1fs | ETA %s",
        "#".repeat(filled), ".".repeat(width - filled), step, settings.steps(), num(m.get("reward_mean")),
        num(m.get("reward_std")), 100 * num(m.get("render_success")), num(m.get("clip_region")),
        num(m.get("completion_length")), num(m.get("time_sampling_s")), num(m.get("time_rendering_s")),
        num(m.get("time_scoring_s")), num(m.get("time_backward_s")), eta(etaSeconds));
  }

  private static double num(Object o) {
    return o instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static String eta(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format("%dh%02dm", t / 3600, t / 60 % 60) : String.format("%dm%02ds", t / 60, t % 60);
  }
}
