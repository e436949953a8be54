package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** apply_chat_template's strings and ids against transformers', for the two fixture templates. */
class ChatTemplateParityIT {
  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny-chat", "llama-tiny-chat"})
  void promptsAndIdsMatchTransformers(String name) throws Exception {
    Path dir = TokenizerParityIT.RESOURCES.resolve(name);
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("chat-expected.json").toFile());
    int n = 0;
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      ChatTemplate template = ChatTemplate.of(tokenizer);
      for (JsonNode c : expected.get("cases")) {
        List<ChatMessage> messages = messages(c.get("messages"));
        String text = template.render(messages, c.get("add_generation_prompt").asBoolean());
        assertEquals(c.get("text").asText(), text, name + " " + c.get("messages"));
        assertArrayEquals(TokenizerParityIT.longs(c.get("ids")), tokenizer.encode(text), name + " ids");
        n++;
      }
      for (JsonNode c : expected.get("refused")) {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
            () -> template.render(messages(c.get("messages")), true));
        assertEquals(ChatTemplateException.Kind.REFUSED, e.kind());
        assertEquals(true, e.getMessage().endsWith(c.get("error").asText()), e.getMessage());
      }
    }
    assertEquals(16, n);
  }

  static List<ChatMessage> messages(JsonNode array) {
    List<ChatMessage> out = new ArrayList<>();
    for (JsonNode m : array) {
      out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
    }
    return out;
  }
}
