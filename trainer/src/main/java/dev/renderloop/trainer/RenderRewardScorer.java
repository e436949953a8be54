package dev.renderloop.trainer;

import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.render.CodeExtractor;
import dev.renderloop.render.ErrorKind;
import dev.renderloop.render.ExtractedCode;
import dev.renderloop.render.ManimMode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.score.Metric;
import dev.renderloop.score.Reward;
import dev.renderloop.score.RewardInput;
import dev.renderloop.score.RewardSpec;
import dev.renderloop.task.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;

/**
 * The render reward: each completion's code is extracted as the agent does ({@link CodeExtractor}), rendered on
 * the engine's warm pool (sandboxed workers for Python domains, in-process for svg/smiles), all completions of a
 * call concurrently and under one deadline, scored against the task's reference render (rendered once and cached by
 * {@link ReferenceScorer}) and combined by a {@link RewardSpec}.
 *
 * <p>A render still running at the deadline scores as a failed render (the engine's own per-render timeout kills
 * the worker; this deadline bounds the step). Rewards come only from code the engine ran in isolation.
 *
 * <p>Reward hacking: a blank render scores the paper's SSIM part ({@code vs_paper}) 1.0 against any still
 * reference, so {@link #checkTrainingSpec} refuses a spec that reads {@code vs_paper} unless the caller asks for it
 * by name.
 */
public final class RenderRewardScorer implements CompletionScorer {
  private final RenderEngine engine;
  private final ReferenceScorer scorer;
  private final RewardSpec spec;
  private final Duration deadline;
  private final BiFunction<String, String, ExtractedCode> extractor;
  private final ExecutorService pool;
  private final LongSupplier nanoTime;

  /**
   * @param engine renders candidates (not closed here)
   * @param scorer scores renders against the reference (not closed here); built with {@link ManimMode#REWARD}, the mode
   *     candidates are rendered in (the fast mode: only the sampled frames are drawn, no video)
   * @param spec the reward formula; check it with {@link #checkTrainingSpec} first
   * @param deadline how long one call waits for all its renders
   * @param extractor (domain, completion text) to code; {@link CodeExtractor#extract} for real tasks
   * @param concurrency renders at once
   * @param nanoTime clock for the time split
   */
  public RenderRewardScorer(RenderEngine engine, ReferenceScorer scorer, RewardSpec spec, Duration deadline,
      BiFunction<String, String, ExtractedCode> extractor, int concurrency, LongSupplier nanoTime) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.scorer = Objects.requireNonNull(scorer, "scorer");
    if (scorer.manimMode() != ManimMode.REWARD) {
      // Training renders only the frames the reward reads; references must come from the same mode.
      throw new IllegalArgumentException("the training reward renders Manim in reward mode: build the ReferenceScorer "
          + "with ManimMode.REWARD, got " + scorer.manimMode().wireName());
    }
    this.spec = Objects.requireNonNull(spec, "spec");
    this.deadline = Objects.requireNonNull(deadline, "deadline");
    this.extractor = Objects.requireNonNull(extractor, "extractor");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
    }
    this.pool = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "reward-render");
      t.setDaemon(true);
      return t;
    });
  }

  /** With the agent's extractor and the system clock. */
  public static RenderRewardScorer of(RenderEngine engine, ReferenceScorer scorer, RewardSpec spec, Duration deadline,
      int concurrency) {
    return new RenderRewardScorer(engine, scorer, spec, deadline, CodeExtractor::extract, concurrency,
        System::nanoTime);
  }

  /**
   * Refuses a spec whose visual or code part is the paper's VS ({@code vs_paper}) unless {@code allowPaperVs}: a
   * blank render scores its SSIM part 1.0 against any still reference, so a policy trained on it learns to draw
   * nothing. {@code vs_corrected} is the default replacement.
   *
   * @throws IllegalArgumentException naming the problem and the alternative
   */
  public static RewardSpec checkTrainingSpec(RewardSpec spec, boolean allowPaperVs) {
    boolean paper = "vs_paper".equals(spec.visualKey()) || "vs_paper".equals(spec.codeKey());
    if (paper && !allowPaperVs) {
      throw new IllegalArgumentException("reward spec " + spec + " reads vs_paper, which scores a blank render 1.0 "
          + "against a still reference (a policy learns to draw nothing); use vs_corrected, e.g. "
          + "arithmetic:cbb=0.2,vs_corrected=0.8, or ask for vs_paper by name (--allow-paper-vs)");
    }
    return spec;
  }

  /** The default training reward of a domain: 0.2 CBB + 0.8 corrected VS for manim, VinciCoder's otherwise. */
  public static RewardSpec defaultSpec(String domain) {
    return domain.equals("manim") ? RewardSpec.parse("arithmetic:cbb=0.2,vs_corrected=0.8") : RewardSpec.vinciCoder();
  }

  @Override
  public String describe() {
    return "reward " + spec + ", deadline " + deadline.toMillis() + " ms";
  }

  @Override
  public List<ScoredCompletion> score(Task task, List<String> completions) {
    scorer.reference(task);  // rendered once and cached, outside the candidates' deadline
    List<ExtractedCode> codes = new ArrayList<>();
    List<Future<RenderResult>> renders = new ArrayList<>();
    long start = nanoTime.getAsLong();
    for (String text : completions) {
      ExtractedCode code = extractor.apply(task.domain(), text);
      codes.add(code);
      renders.add(code.code().isBlank() ? null : pool.submit(() -> engine.render(
          new RenderRequest(task.domain(), code.code(), scorer.settings(task.domain())))));
    }
    long end = start + deadline.toNanos();
    List<RenderResult> results = new ArrayList<>();
    for (Future<RenderResult> f : renders) {
      results.add(f == null ? null : await(f, end, task.domain()));
    }
    long renderNanos = (nanoTime.getAsLong() - start) / Math.max(1, completions.size());
    List<ScoredCompletion> out = new ArrayList<>();
    for (int i = 0; i < completions.size(); i++) {
      long s = nanoTime.getAsLong();
      ExtractedCode code = codes.get(i);
      RenderResult render = results.get(i);
      boolean rendered = render != null && render.ok();
      List<Metric> metrics = new ArrayList<>(scorer.score(task, code.code(), rendered ? render : null));
      boolean parses = metrics.stream().filter(m -> m.name().equals("syntax_ok")).findFirst()
          .map(m -> m.value() == 1).orElse(true);
      Reward reward = Reward.of(spec, new RewardInput(!code.code().isBlank(), parses, code.formatOk(), rendered,
          metrics));
      Map<String, Double> components = new LinkedHashMap<>();
      for (Metric m : reward.metrics()) {
        if (m.available()) {
          components.put(m.name(), m.value());
        }
      }
      for (Metric m : metrics) {
        if (m.available()) {
          components.putIfAbsent(m.name(), m.value());
        }
      }
      double total = reward.total().available() ? reward.total().value() : Double.NaN;
      out.add(new ScoredCompletion(total, components, rendered, code.code().isBlank() ? 0 : renderNanos,
          nanoTime.getAsLong() - s));
    }
    return out;
  }

  private RenderResult await(Future<RenderResult> f, long endNanos, String domain) {
    long left = endNanos - nanoTime.getAsLong();
    try {
      return f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      return RenderResult.failure(domain, ErrorKind.TIMEOUT, "past the step's render deadline", deadline.toMillis());
    } catch (ExecutionException e) {
      return RenderResult.failure(domain, ErrorKind.RENDERER_CRASHED, String.valueOf(e.getCause()), 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return RenderResult.failure(domain, ErrorKind.RENDERER_CRASHED, "interrupted", 0);
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
