package dev.renderloop.trainer;

import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ChatTemplate;
import dev.renderloop.model.LoraAdapter;
import dev.renderloop.model.LoraConfig;
import dev.renderloop.model.SamplingParams;
import dev.renderloop.model.Tokenizer;
import dev.renderloop.render.ExtractedCode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.score.RewardSpec;
import dev.renderloop.task.Task;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A toy GRPO task a random tiny model can learn in a few dozen steps, with the real render engine and reward:
 * the completion's first character picks one of four fill colours (its code point mod 4: red, blue, black, white),
 * the program is an SVG square in that colour, rendered by the engine's in-process SVG renderer and scored by
 * {@link ReferenceScorer} against the reference (a red square) with the reward spec
 * {@code visual-format:ssim=1,format=0} (grayscale SSIM: red 1, blue ~0.67, white ~0.55, black ~0). An empty
 * completion has no code and scores 0. The model must learn to start its answer with a character whose code
 * point is 0 mod 4.
 */
final class ColourToy {
  static final List<String> PALETTE = List.of("red", "blue", "black", "white");
  static final RewardSpec SPEC = RewardSpec.parse("visual-format:ssim=1,format=0");

  private ColourToy() {}

  static String svg(String colour) {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\">"
        + "<rect width=\"64\" height=\"64\" fill=\"" + colour + "\"/></svg>";
  }

  static List<Task> tasks() {
    return List.of(new Task("red-square", "svg", "Draw a red square.", svg("red"), null, null),
        new Task("red-square-2", "svg", "A square, filled red.", svg("red"), null, null));
  }

  static ExtractedCode extract(String domain, String completion) {
    String t = completion.strip();
    if (t.isEmpty()) {
      return new ExtractedCode("", false, ExtractedCode.Source.NONE, 0);
    }
    return new ExtractedCode(svg(PALETTE.get(t.codePointAt(0) % PALETTE.size())), true, ExtractedCode.Source.BARE, 0);
  }

  static GrpoSettings settings(int steps, int checkpointEvery) {
    GrpoLossConfig loss = new GrpoLossConfig(LossType.DR_GRPO, 0.04, 0.2, 0.28, ImportanceSampling.TOKEN, 4, false);
    SamplingParams sampling = new SamplingParams(1.0, 0, 1.0, 0.0, 1.0, 4, Set.of(), 0);
    return new GrpoSettings(steps, 2, 8, 2, loss, RewardScaling.GROUP, 3e-2, 0.0,
        new AdamW.Settings(0.9, 0.999, 1e-8, 0.0), 1.0, sampling, 17, checkpointEvery, null);
  }

  /** Trains the toy into {@code run}; returns the per-step metrics of this call. */
  static List<Map<String, Object>> train(Path run, int steps, int checkpointEvery, boolean resume, PrintStream console)
      throws Exception {
    try (CausalLm lm = CausalLm.load(Fixtures.MODEL);
        Tokenizer tokenizer = Tokenizer.load(Fixtures.MODEL);
        RenderEngine engine = RenderEngine.builder().noCache().workers(1).build();
        ReferenceScorer reference = new ReferenceScorer(engine, null, null, null, dev.renderloop.render.ManimMode.REWARD);
        RenderRewardScorer scorer = new RenderRewardScorer(engine, reference, SPEC, Duration.ofSeconds(30),
            ColourToy::extract, 4, System::nanoTime)) {
      LoraAdapter adapter = LoraAdapter.initialise(new LoraConfig(8, 16, 0, LoraConfig.MODULES, false),
          lm.config(), "qwen2-tiny-chat", 5);
      lm.attach(adapter);
      GrpoTrainer trainer = new GrpoTrainer(lm, tokenizer, ChatTemplate.of(tokenizer), tasks(), scorer,
          settings(steps, checkpointEvery), run, System::nanoTime, console);
      return trainer.train(resume);
    }
  }

  /** For the resume test's child JVM: {@code RUN STEPS CHECKPOINT_EVERY [--resume]}. */
  public static void main(String[] args) throws Exception {
    train(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]),
        args.length > 3 && args[3].equals("--resume"), System.out);
  }
}
