package dev.renderloop.trainer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ChatTemplate;
import dev.renderloop.model.LoraAdapter;
import dev.renderloop.model.LoraConfig;
import dev.renderloop.model.Tokenizer;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SFT on the bundled svg suite with the tiny chat model: the training loss falls, a validation loss on held-out
 * training examples is logged, and the adapter is written. Bad JSONL corpora are refused naming the line.
 */
class SftTrainerIT {
  @TempDir
  Path dir;

  @Test
  void lossFallsOnTheSvgSuite() throws Exception {
    List<SftExample> examples = new ArrayList<>();
    for (Task t : Suites.bundled("svg").tasks()) {
      examples.add(SftExample.of(t, "You write SVG."));
    }
    SftSettings s = new SftSettings(20, 2, 2, 5e-3, 0.1, AdamW.Settings.defaults(), 1.0, 256, 0.2, 10, 3, 10);
    try (CausalLm lm = CausalLm.load(Fixtures.MODEL); Tokenizer tok = Tokenizer.load(Fixtures.MODEL)) {
      lm.attach(LoraAdapter.initialise(new LoraConfig(8, 16, 0, LoraConfig.MODULES, false), lm.config(),
          "qwen2-tiny-chat", 1));
      SftTrainer trainer = new SftTrainer(lm, tok, ChatTemplate.of(tok), examples, s, dir, System.out);
      assertTrue(trainer.validationSize() >= 1);
      List<Map<String, Object>> m = trainer.train();
      double first = ((Number) m.get(0).get("loss")).doubleValue();
      double last = ((Number) m.get(m.size() - 1).get("loss")).doubleValue();
      assertTrue(last < first * 0.8, "loss did not fall: " + first + " -> " + last);
      assertTrue(m.get(9).containsKey("val_loss") && m.get(19).containsKey("val_loss"));
      assertTrue(Files.isRegularFile(dir.resolve("adapter/adapter_config.json")));
    }
  }

  @Test
  void badCorporaAreRefusedNamingTheLine() throws Exception {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n"
        + "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"}]}\n");
    IOException e = assertThrows(IOException.class, () -> SftExample.readJsonl(f));
    assertTrue(e.getMessage().contains(":2") && e.getMessage().contains("assistant"), e.getMessage());
    Files.writeString(f, "not json\n");
    assertThrows(IOException.class, () -> SftExample.readJsonl(f));
    Files.writeString(f, "\n");
    assertThrows(IOException.class, () -> SftExample.readJsonl(f));
    assertEquals1(SftExample.readJsonl(write("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
        + "{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"x\"}]}\n")).get(0));
  }

  Path write(String text) throws IOException {
    Path f = dir.resolve("good.jsonl");
    Files.writeString(f, text);
    return f;
  }

  static void assertEquals1(SftExample e) {
    assertTrue(e.prompt().size() == 2 && e.completion().equals("x"));
  }
}
