package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Messages to completions on the tiny chat checkpoint (random weights: the text is gibberish, its mechanics not). */
class ChatModelIT {
  static final Path DIR = TokenizerParityIT.RESOURCES.resolve("qwen2-tiny-chat");
  static ChatModel model;
  static ChatModel.Prompt prompt;

  @BeforeAll
  static void load() throws Exception {
    model = ChatModel.load(DIR);
    prompt = model.prompt(List.of(ChatMessage.user("Draw a red circle in SVG.")));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  static SamplingParams params(int max, long seed) {
    // eos ids of the params left empty: the tokenizer's <|im_end|> is added by the model
    return SamplingParams.of(max, Set.of(), seed);
  }

  @Test
  void promptIsTheTemplateTokenisedWithoutAddedSpecials() {
    assertTrue(prompt.text().endsWith("<|im_start|>assistant\n"), prompt.text());
    assertArrayEquals(model.tokenizer().encode(prompt.text()), prompt.ids());
    assertEquals(1022L, prompt.ids()[0]);  // <|im_start|> of the default system message
  }

  @Test
  void sameSeedSameCompletionsAndOtherSeedsDiffer() {
    List<Completion> a = model.complete(prompt, params(24, 5), List.of(), 3);
    List<Completion> b = model.complete(prompt, params(24, 5), List.of(), 3);
    List<Completion> c = model.complete(prompt, params(24, 6), List.of(), 3);
    assertEquals(3, a.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(a.get(i).text(), b.get(i).text());
      assertArrayEquals(a.get(i).sample().tokenIds(), b.get(i).sample().tokenIds());
    }
    assertNotEquals(a.stream().map(Completion::text).toList(), c.stream().map(Completion::text).toList());
    assertNotEquals(a.get(0).text(), a.get(1).text());
  }

  @Test
  void aStopStringCutsTheTextAndTheSampleIsAPrefixOfTheUnstoppedOne() {
    Completion free = model.complete(prompt, params(40, 9), List.of(), 1).get(0);
    assertEquals(Completion.FinishReason.LENGTH, free.finishReason(), free.text());
    long[] ids = free.sample().tokenIds();
    // a stop string across a token boundary: the last 2 characters of the first 10 tokens' text and the first 2 of
    // the 11th's (the decoded text of a prefix is a prefix of the text here: no multi-byte cut at that boundary)
    String head = model.tokenizer().decode(Arrays.copyOf(ids, 10), true);
    String head11 = model.tokenizer().decode(Arrays.copyOf(ids, 11), true);
    assertTrue(free.text().startsWith(head11) && head11.length() >= head.length() + 2 && head.length() >= 2,
        "pick another seed: " + head + " / " + head11);
    String stop = head11.substring(head.length() - 2, head.length() + 2);
    Completion stopped = model.complete(prompt, params(40, 9), List.of(stop, "\u0000never"), 1).get(0);
    assertEquals(Completion.FinishReason.STOP_STRING, stopped.finishReason());
    int at = free.text().indexOf(stop);
    assertEquals(free.text().substring(0, at), stopped.text());
    long[] stoppedIds = stopped.sample().tokenIds();
    assertTrue(stoppedIds.length <= 11, "stopped after " + stoppedIds.length + " tokens");
    assertArrayEquals(Arrays.copyOf(ids, stoppedIds.length), stoppedIds);
    assertTrue(model.tokenizer().decode(stoppedIds, true).contains(stop));
    assertTrue(!model.tokenizer().decode(Arrays.copyOf(stoppedIds, stoppedIds.length - 1), true).contains(stop));
  }

  @Test
  void anEosIdEndsTheCompletionAndIsNotInItsText() {
    Completion free = model.complete(prompt, params(30, 4), List.of(), 1).get(0);
    long eos = free.sample().tokenIds()[6];
    SamplingParams p = new SamplingParams(1.0, 0, 1.0, 0.0, 1.0, 30, Set.of(eos), 4);
    Completion ended = model.complete(prompt, p, List.of(), 1).get(0);
    assertEquals(Completion.FinishReason.EOS, ended.finishReason());
    long[] ids = ended.sample().tokenIds();
    assertEquals(eos, ids[ids.length - 1]);
    assertTrue(ids.length <= 7);
    assertEquals(model.tokenizer().decode(Arrays.copyOf(ids, ids.length - 1), true), ended.text());
  }

  @Test
  void promptPlusMaxTokensBeyondTheContextIsRefused() {
    int room = model.contextLength() - prompt.ids().length;
    assertEquals(1, model.complete(prompt, params(1, 0), List.of(), 1).get(0).completionTokens());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> model.complete(prompt, params(room + 1, 0), List.of(), 1));
    assertTrue(e.getMessage().contains("maximum context length is 512"), e.getMessage());
  }

  @Test
  void aRoleTheTemplateRefusesIsAChatTemplateException() {
    ChatTemplateException e = assertThrows(ChatTemplateException.class,
        () -> model.prompt(List.of(new ChatMessage("tool", "x"))));
    assertEquals(ChatTemplateException.Kind.REFUSED, e.kind());
  }
}
