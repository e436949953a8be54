package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Token ids and decoded text against transformers' for the trained tokenizers of make_tiny_tokenizers.py. */
class TokenizerParityIT {
  static final Path RESOURCES = Path.of("src/test/resources/dev/renderloop/model");

  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny-chat", "llama-tiny-chat"})
  void idsAndDecodingMatchTransformers(String name) throws Exception {
    Path dir = RESOURCES.resolve(name);
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("tokenizer-expected.json").toFile());
    int cases = 0;
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      for (JsonNode c : expected.get("cases")) {
        String text = c.get("text").asText();
        String label = name + " " + new ObjectMapper().writeValueAsString(text);
        long[] ids = tokenizer.encode(text);
        assertArrayEquals(longs(c.get("ids")), ids, label);
        assertArrayEquals(longs(c.get("ids_with_special")), tokenizer.encode(text, true), label + " with specials");
        assertEquals(c.get("decoded").asText(), tokenizer.decode(ids), label + " decoded");
        assertEquals(c.get("decoded_skip_special").asText(), tokenizer.decode(ids, true), label + " skip special");
        cases++;
      }
    }
    assertEquals(30, cases);
  }

  @Test
  void specialTokensComeFromTheConfigAndTokenizerJson() throws Exception {
    try (Tokenizer qwen = Tokenizer.load(RESOURCES.resolve("qwen2-tiny-chat"));
        Tokenizer llama = Tokenizer.load(RESOURCES.resolve("llama-tiny-chat"))) {
      assertEquals(new Tokenizer.SpecialTokens(null, "<|im_end|>", "<|endoftext|>", null), qwen.specialTokens());
      assertEquals(Map.of("<|endoftext|>", 1021L, "<|im_start|>", 1022L, "<|im_end|>", 1023L),
          qwen.addedSpecialTokens());
      assertEquals(1023L, qwen.tokenId("<|im_end|>").getAsLong());
      assertEquals(Set.of(1023L), qwen.eosTokenIds());
      assertEquals(1024, qwen.size());
      assertTrue(qwen.tokenId("<|no such token|>").isEmpty());
      assertTrue(qwen.chatTemplateSource().orElseThrow().contains("<|im_start|>"));

      assertEquals("<|begin_of_text|>", llama.specialTokens().bos());
      assertEquals(Set.of(llama.tokenId("<|eot_id|>").getAsLong()), llama.eosTokenIds());
      // transformers 5 saves the template as chat_template.jinja, not inside tokenizer_config.json
      assertTrue(llama.chatTemplateSource().orElseThrow().contains("<|start_header_id|>"));
    }
  }

  @Test
  void roundTripsArbitraryTextOfTheCorpusAlphabet() throws Exception {
    // seeded random strings over ASCII, CJK, combining marks and emoji: decode(encode(s)) == NFC(s) for Qwen2
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    String[] pieces = {"a", "Z", " ", "  ", "\n", "\t", "{", "}", "<", "/>", "日", "本", "\u0301", "😀", "é", "7",
        "42", "'s", "_", "\\draw"};
    try (Tokenizer qwen = Tokenizer.load(RESOURCES.resolve("qwen2-tiny-chat"))) {
      for (int i = 0; i < 200; i++) {
        StringBuilder s = new StringBuilder();
        int n = 1 + random.nextInt(20);
        for (int j = 0; j < n; j++) {
          s.append(pieces[random.nextInt(pieces.length)]);
        }
        String text = s.toString();
        String nfc = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
        assertEquals(nfc, qwen.decode(qwen.encode(text)), text);
      }
    }
  }

  @Test
  void missingTokenizerIsAFormatErrorNamingTheFile() throws Exception {
    Path empty = Files.createTempDirectory("no-tokenizer");
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.load(empty));
    assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    Files.writeString(empty.resolve("tokenizer.json"), "{not json");
    e = assertThrows(ModelFormatException.class, () -> Tokenizer.load(empty));
    assertTrue(e.getMessage().contains(empty.resolve("tokenizer.json").toString()), e.getMessage());
  }

  static long[] longs(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
  }
}
