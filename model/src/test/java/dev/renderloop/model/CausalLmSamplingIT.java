package dev.renderloop.model;

import static dev.renderloop.model.CausalLmParityIT.FIXTURES;
import static dev.renderloop.model.CausalLmParityIT.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sampling and completion log-probabilities on the tiny checkpoints (see model/fixtures/README.md). */
class CausalLmSamplingIT {
  static final long[] PROMPT = {1, 23, 57, 111};

  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny", "llama-tiny", "qwen2-tiny-bf16", "llama-tiny-sharded", "qwen3-tiny"})
  void completionLogProbsMatchTransformers(String name) throws Exception {
    Path dir = FIXTURES.resolve(name);
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("logprobs.json").toFile());
    try (CausalLm model = CausalLm.load(dir)) {
      float[][] got = model.logProbs(longs(expected.get("prompts")), longs(expected.get("completions")));
      JsonNode want = expected.get("logprobs");
      double worst = 0;
      int compared = 0;
      assertEquals(want.size(), got.length);
      for (int b = 0; b < got.length; b++) {
        assertEquals(want.get(b).size(), got[b].length);
        for (int j = 0; j < got[b].length; j++) {
          worst = Math.max(worst, Math.abs(got[b][j] - want.get(b).get(j).asDouble()));
          compared++;
        }
      }
      System.out.printf("%s: max abs completion log-prob difference %.3g over %d tokens%n", name, worst, compared);
      assertTrue(compared > 0);
      assertTrue(worst < 1e-4, name + ": max abs log-prob difference " + worst);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny", "llama-tiny"})
  void greedyLimitsEqualTheGreedyFixtures(String name) throws Exception {
    Path dir = FIXTURES.resolve(name);
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
    try (CausalLm model = CausalLm.load(dir)) {
      for (JsonNode c : expected.get("generations")) {
        long[][] ids = longs(c.get("input_ids"));
        long[][] mask = longs(c.get("attention_mask"));
        long[][] want = longs(c.get("generated"));
        int newTokens = c.get("max_new_tokens").asInt();
        for (int b = 0; b < ids.length; b++) {
          long[] prompt = unpadded(ids[b], mask[b]);
          SamplingParams sampling = SamplingParams.of(newTokens, Set.of(), 99).withTemperature(0.8);
          for (SamplingParams p : List.of(sampling.withTemperature(0), sampling.withFilters(1, 1, 0))) {
            List<Sample> samples = model.sample(prompt, p, 2);
            for (Sample s : samples) {
              assertArrayEquals(want[b], s.tokenIds(), name + " row " + b + " with " + p);
              for (float lp : s.logProbs()) {
                assertEquals(0f, lp, 1e-6f);  // a one-token distribution
              }
              assertFalse(s.stoppedAtEos());
            }
          }
        }
      }
    }
  }

  @Test
  void samplesAreReproduciblePerSeedAndDifferAcrossSamplesAndSeeds() throws Exception {
    try (CausalLm model = CausalLm.load(FIXTURES.resolve("qwen2-tiny"))) {
      SamplingParams p = new SamplingParams(1.2, 50, 0.95, 0.0, 1.1, 24, Set.of(), 2024);
      List<Sample> first = model.sample(PROMPT, p, 4);
      List<Sample> again = model.sample(PROMPT, p, 4);
      List<Sample> fewer = model.sample(PROMPT, p, 2);
      List<Sample> otherSeed = model.sample(PROMPT, p.withSeed(2025), 4);
      for (int i = 0; i < 4; i++) {
        assertArrayEquals(first.get(i).tokenIds(), again.get(i).tokenIds());
        assertArrayEquals(first.get(i).logProbs(), again.get(i).logProbs());
        assertEquals(24, first.get(i).tokenIds().length);
        assertFalse(Arrays.equals(first.get(i).tokenIds(), otherSeed.get(i).tokenIds()), "sample " + i);
        if (i < 2) {
          assertArrayEquals(first.get(i).tokenIds(), fewer.get(i).tokenIds(), "sample " + i + " depends on n");
        }
        for (int j = i + 1; j < 4; j++) {
          assertFalse(Arrays.equals(first.get(i).tokenIds(), first.get(j).tokenIds()), i + " vs " + j);
        }
      }
    }
  }

  /**
   * Several prompts of different lengths sampled together (left-padded) give each prompt's samples as sampling it
   * alone does: the same tokens, log-probs within 1e-4; a prompt's samples do not depend on the other prompts.
   */
  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny", "llama-tiny", "qwen3-tiny"})
  void promptsSampledTogetherEqualPromptsSampledAlone(String name) throws Exception {
    try (CausalLm model = CausalLm.load(FIXTURES.resolve(name))) {
      long[][] prompts = {{1, 23, 57, 111}, {5, 9}, {7, 200, 41, 8, 99, 12, 3}, {64}};
      long[] seeds = {11, 12, 13, 14};
      SamplingParams p = new SamplingParams(1.0, 0, 1.0, 0.0, 1.0, 16, Set.of(), 0);
      List<List<Sample>> together = model.sample(prompts, p, seeds, 3);
      assertEquals(prompts.length, together.size());
      double worst = 0;
      for (int i = 0; i < prompts.length; i++) {
        List<Sample> alone = model.sample(prompts[i], p.withSeed(seeds[i]), 3);
        for (int k = 0; k < 3; k++) {
          assertArrayEquals(alone.get(k).tokenIds(), together.get(i).get(k).tokenIds(), name + " prompt " + i + " sample " + k);
          for (int t = 0; t < alone.get(k).logProbs().length; t++) {
            worst = Math.max(worst, Math.abs(alone.get(k).logProbs()[t] - together.get(i).get(k).logProbs()[t]));
          }
        }
      }
      System.out.printf("%s: prompts sampled together vs alone, max |log-prob diff| %.3g%n", name, worst);
      assertTrue(worst < 1e-4, name + ": " + worst);
      List<List<Sample>> reordered = model.sample(new long[][] {prompts[2], prompts[0]}, p, new long[] {seeds[2], seeds[0]}, 3);
      for (int k = 0; k < 3; k++) {
        assertArrayEquals(together.get(2).get(k).tokenIds(), reordered.get(0).get(k).tokenIds());
        assertArrayEquals(together.get(0).get(k).tokenIds(), reordered.get(1).get(k).tokenIds());
      }
    }
  }

  @Test
  void rawLogProbsOfASampleEqualTheBatchedCompletionLogProbs() throws Exception {
    try (CausalLm model = CausalLm.load(FIXTURES.resolve("llama-tiny"))) {
      SamplingParams p = new SamplingParams(0.9, 40, 0.9, 0.02, 1.0, 16, Set.of(), 7);
      List<Sample> samples = model.sample(PROMPT, p, 3);
      long[][] prompts = {PROMPT, PROMPT, PROMPT};
      long[][] completions = samples.stream().map(Sample::tokenIds).toArray(long[][]::new);
      float[][] scored = model.logProbs(prompts, completions);
      for (int i = 0; i < 3; i++) {
        Sample s = samples.get(i);
        assertEquals(s.tokenIds().length, scored[i].length);
        for (int j = 0; j < scored[i].length; j++) {
          assertEquals(scored[i][j], s.rawLogProbs()[j], 1e-4, "sample " + i + " token " + j);
          // filtering and temperature < 1 only sharpen the distribution here
          assertTrue(s.logProbs()[j] <= 0 && s.logProbs()[j] > Float.NEGATIVE_INFINITY);
        }
      }
    }
  }

  @Test
  void aSampleStopsAfterAnEosIdAndKeepsIt() throws Exception {
    try (CausalLm model = CausalLm.load(FIXTURES.resolve("qwen2-tiny"))) {
      SamplingParams free = new SamplingParams(1.0, 0, 1.0, 0.0, 1.0, 20, Set.of(), 11);
      List<Sample> unstopped = model.sample(PROMPT, free, 3);
      // make the 5th token of sample 0 (and anything that repeats earlier) an EOS id
      long stop = unstopped.get(0).tokenIds()[4];
      SamplingParams stopping = new SamplingParams(1.0, 0, 1.0, 0.0, 1.0, 20, Set.of(stop), 11);
      List<Sample> stopped = model.sample(PROMPT, stopping, 3);
      for (int i = 0; i < 3; i++) {
        long[] full = unstopped.get(i).tokenIds();
        int at = -1;
        for (int j = 0; j < full.length && at < 0; j++) {
          at = full[j] == stop ? j : -1;
        }
        Sample s = stopped.get(i);
        if (at < 0) {
          assertFalse(s.stoppedAtEos());
          assertArrayEquals(full, s.tokenIds());
        } else {
          assertTrue(s.stoppedAtEos());
          assertArrayEquals(Arrays.copyOf(full, at + 1), s.tokenIds(), "sample " + i);
          assertEquals(s.tokenIds().length, s.rawLogProbs().length);
        }
      }
      assertTrue(stopped.get(0).stoppedAtEos());
      assertTrue(stopped.get(0).tokenIds().length <= 5);
      assertNotEquals(0, stopped.get(0).tokenIds().length);
    }
  }

  static long[] unpadded(long[] ids, long[] mask) {
    return java.util.stream.IntStream.range(0, ids.length).filter(i -> mask[i] != 0).mapToLong(i -> ids[i])
        .toArray();
  }
}
