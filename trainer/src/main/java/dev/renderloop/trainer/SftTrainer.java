package dev.renderloop.trainer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ChatMessage;
import dev.renderloop.model.ChatTemplate;
import dev.renderloop.model.CompletionLogProbs;
import dev.renderloop.model.LoraAdapter;
import dev.renderloop.model.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

/**
 * Completion-only SFT of the in-process model's LoRA adapter ({@link SftLoss}, TRL's definition), with AdamW, the
 * linear warm-up schedule, gradient accumulation ({@code num_items_in_batch} = completion tokens of the whole
 * window, as transformers' Trainer) and global-norm clipping. A seeded {@code validationFraction} of the training
 * data is held out and its per-token loss logged every {@code evalEvery} steps. Batches are length-bucketed: each
 * epoch's shuffled order is cut into windows of 50 batches, sorted by length within a window.
 *
 * <p>Tokenisation as TRL's for conversational prompt/completion pairs: the prompt is the template with the generation
 * prompt, the completion is what the full conversation's ids add after the prompt's ids.
 *
 * <p>Checkpoints ({@link Checkpoints}: adapter, AdamW moments, data position; every draw is seeded from the run
 * seed and the step) make a resumed run continue as if it had not stopped. Corpora (suites, ManimBench, JSONL and
 * Parquet in the chat layout) are read by the caller into {@link SftExample}s.
 */
public final class SftTrainer {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Tokenised(long[] prompt, long[] completion) {}

  private final CausalLm lm;
  private final LoraAdapter adapter;
  private final SftSettings settings;
  private final Path run;
  private final PrintStream console;
  private final List<Tokenised> train = new ArrayList<>();
  private final List<Tokenised> validation = new ArrayList<>();
  private final int dropped;

  /**
   * @throws IllegalArgumentException when the model has no adapter or no example fits {@code maxLength}
   */
  public SftTrainer(CausalLm lm, Tokenizer tokenizer, ChatTemplate template, List<SftExample> examples,
      SftSettings settings, Path run, PrintStream console) {
    this.lm = Objects.requireNonNull(lm, "lm");
    this.adapter = lm.adapter().orElseThrow(() -> new IllegalArgumentException("the model has no LoRA adapter"));
    this.settings = Objects.requireNonNull(settings, "settings");
    this.run = Objects.requireNonNull(run, "run");
    this.console = Objects.requireNonNull(console, "console");
    List<Tokenised> all = new ArrayList<>();
    int tooLong = 0;
    for (SftExample e : examples) {
      long[] p = tokenizer.encode(template.render(e.prompt(), true));
      List<ChatMessage> full = new ArrayList<>(e.prompt());
      full.add(ChatMessage.assistant(e.completion()));
      long[] f = tokenizer.encode(template.render(full, false));
      if (p.length >= settings.maxLength() || f.length <= p.length) {
        tooLong++;
        continue;
      }
      long[] c = Arrays.copyOfRange(f, p.length, Math.min(f.length, settings.maxLength()));
      all.add(new Tokenised(p, c));
    }
    this.dropped = tooLong;
    if (all.isEmpty()) {
      throw new IllegalArgumentException("no example fits maxLength " + settings.maxLength());
    }
    Collections.shuffle(all, new Random(settings.seed()));
    int held = all.size() < 2 ? 0 : (int) Math.round(settings.validationFraction() * all.size());
    held = Math.min(held, all.size() - 1);
    validation.addAll(all.subList(0, held));
    train.addAll(all.subList(held, all.size()));
  }

  /** Examples dropped because the prompt alone reached maxLength. */
  public int dropped() {
    return dropped;
  }

  /** Examples trained on (after the held-out part and the dropped ones). */
  public int trainSize() {
    return train.size();
  }

  /** Held-out examples. */
  public int validationSize() {
    return validation.size();
  }

  /** Trains a new run; see {@link #train(boolean)}. */
  public List<Map<String, Object>> train() throws IOException {
    return train(false);
  }

  /**
   * Trains to {@code settings.steps()} optimizer steps, appending one line per step to {@code RUN/metrics.jsonl}
   * and one progress line (bar, loss, ETA) to the console, writing a checkpoint every {@code checkpointEvery} steps
   * (and after the last), and the final adapter to {@code RUN/adapter}.
   *
   * @param resume continue from the run's latest checkpoint (adapter, optimizer moments, data position; metrics
   *     after it are dropped and recomputed), as if the run had not stopped; without it, a run directory that
   *     already holds metrics is refused
   * @return the metrics of the steps run by this call
   * @throws IllegalStateException when {@code resume} is false and the run directory already holds a run
   * @throws IOException when the run directory cannot be written or a checkpoint cannot be read
   */
  public List<Map<String, Object>> train(boolean resume) throws IOException {
    Files.createDirectories(run);
    Path metrics = run.resolve("metrics.jsonl");
    AdamW optimizer = new AdamW(settings.adam());
    int start = Checkpoints.begin(run, metrics, resume, adapter, optimizer, settings.seed(), settings.steps(), console);
    adapter.setTrainable(true);
    LinearSchedule schedule = LinearSchedule.withWarmupRatio(settings.lr(), settings.warmupRatio(), settings.steps());
    // The data position is the number of micro-batches consumed; every epoch has the same number of batches and
    // its order is a function of (seed, epoch), so the position alone restores where the data stood.
    int perEpoch = epochBatches(0).size();
    int consumed = start * settings.accumulation();
    int epoch = consumed / perEpoch;
    List<List<Tokenised>> batches = epochBatches(epoch++);
    int next = consumed % perEpoch;
    List<Map<String, Object>> out = new ArrayList<>();
    long began = System.nanoTime();
    for (int step = start; step < settings.steps(); step++) {
      long t0 = System.nanoTime();
      List<List<Tokenised>> window = new ArrayList<>();
      for (int a = 0; a < settings.accumulation(); a++) {
        if (next == batches.size()) {
          batches = epochBatches(epoch++);
          next = 0;
        }
        window.add(batches.get(next++));
      }
      int windowTokens = 0;
      for (List<Tokenised> b : window) {
        for (Tokenised t : b) {
          windowTokens += t.completion().length;
        }
      }
      adapter.zeroGradients();
      double loss = 0;
      for (int a = 0; a < window.size(); a++) {
        List<Tokenised> b = window.get(a);
        try (NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch");
            GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
          CompletionLogProbs lp = lm.completionLogProbs(owner, b.stream().map(Tokenised::prompt).toArray(long[][]::new),
              b.stream().map(Tokenised::completion).toArray(long[][]::new), settings.seed() * 7919 + step * 64L + a);
          NDArray l = SftLoss.compute(lp, windowTokens);
          collector.backward(l);
          loss += l.getFloat();
        }
      }
      Map<String, float[]> grads = AdapterWeights.gradients(adapter);
      double norm = GradientClipping.clipByGlobalNorm(grads.values(), settings.maxGradNorm());
      Map<String, float[]> params = AdapterWeights.values(adapter);
      double lr = schedule.rate(step);
      optimizer.step(params, grads, lr);
      AdapterWeights.write(adapter, params);
      adapter.zeroGradients();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", step + 1);
      m.put("epoch", (double) ((step + 1) * settings.accumulation()) / perEpoch);
      m.put("loss", loss);
      m.put("tokens", windowTokens);
      m.put("grad_norm", norm);
      m.put("lr", lr);
      if (!validation.isEmpty() && ((step + 1) % settings.evalEvery() == 0 || step + 1 == settings.steps())) {
        m.put("val_loss", validationLoss());
      }
      m.put("time_step_s", (System.nanoTime() - t0) / 1e9);
      out.add(m);
      Files.writeString(metrics, JSON.writeValueAsString(m) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      double eta = (System.nanoTime() - began) / 1e9 / (step + 1 - start) * (settings.steps() - step - 1);
      console.println(progress(m, step + 1, eta));
      if ((step + 1) % settings.checkpointEvery() == 0 || step + 1 == settings.steps()) {
        Checkpoints.write(run, step + 1, adapter, optimizer, settings.seed(), (step + 1) * settings.accumulation());
      }
    }
    adapter.save(run.resolve("adapter"));
    return out;
  }

  private String progress(Map<String, Object> m, int step, double etaSeconds) {
    int width = 20;
    int filled = (int) Math.round(width * (double) step / settings.steps());
    return String.format(Locale.ROOT, "[%s%s] step %d/%d loss %.4f%s lr %.3g grad-norm %.3f | %.1fs/step | ETA %s",
        "#".repeat(filled), ".".repeat(width - filled), step, settings.steps(), (double) m.get("loss"),
        m.containsKey("val_loss") ? String.format(Locale.ROOT, " val %.4f", (double) m.get("val_loss")) : "",
        (double) m.get("lr"), (double) m.get("grad_norm"), (double) m.get("time_step_s"), eta(etaSeconds));
  }

  private static String eta(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
        : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
  }

  /** Per-token loss over the held-out examples, inference mode (no dropout, no graph). */
  double validationLoss() {
    double sum = 0;
    int tokens = 0;
    for (int i = 0; i < validation.size(); i += settings.batchSize()) {
      List<Tokenised> b = validation.subList(i, Math.min(validation.size(), i + settings.batchSize()));
      float[][] lp = lm.logProbs(b.stream().map(Tokenised::prompt).toArray(long[][]::new),
          b.stream().map(Tokenised::completion).toArray(long[][]::new));
      for (int r = 0; r < lp.length; r++) {
        for (int t = 0; t < b.get(r).completion().length; t++) {
          sum -= lp[r][t];
          tokens++;
        }
      }
    }
    return sum / tokens;
  }

  private List<List<Tokenised>> epochBatches(int epoch) {
    List<Tokenised> order = new ArrayList<>(train);
    Random random = new Random(settings.seed() * 31 + epoch);
    Collections.shuffle(order, random);
    int window = settings.batchSize() * 50;
    List<List<Tokenised>> batches = new ArrayList<>();
    for (int w = 0; w < order.size(); w += window) {
      List<Tokenised> chunk = new ArrayList<>(order.subList(w, Math.min(order.size(), w + window)));
      chunk.sort((x, y) -> Integer.compare(x.prompt().length + x.completion().length,
          y.prompt().length + y.completion().length));
      for (int i = 0; i < chunk.size(); i += settings.batchSize()) {
        batches.add(new ArrayList<>(chunk.subList(i, Math.min(chunk.size(), i + settings.batchSize()))));
      }
    }
    Collections.shuffle(batches, random);
    return batches;
  }
}
