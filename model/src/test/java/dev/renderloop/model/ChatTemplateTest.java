package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Jinja features chat templates use, rendered here and by transformers (chat-template-features.json). */
class ChatTemplateTest {
  static final Path FEATURES = Path.of("src/test/resources/dev/renderloop/model/chat-template-features.json");

  @Test
  void probesRenderAsTransformersRendersThem() throws Exception {
    JsonNode expected = new ObjectMapper().readTree(FEATURES.toFile());
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode m : expected.get("messages")) {
      messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
    }
    Map<String, String> specials = Map.of("bos_token", "<s>", "eos_token", "</s>");
    int n = 0;
    for (JsonNode c : expected.get("cases")) {
      String template = c.get("template").asText();
      assertEquals(c.get("text").asText(), ChatTemplate.parse(template, "probe", specials).render(messages, true),
          template);
      n++;
    }
    assertEquals(14, n);
  }

  @Test
  void raiseExceptionRefusesTheConversationWithTheTemplatesMessage() {
    ChatTemplate t = ChatTemplate.parse("{% if messages[0].role != 'user' %}{{ raise_exception('users first') }}"
        + "{% endif %}ok", "tokenizer_config.json", Map.of());
    assertEquals("ok", t.render(List.of(ChatMessage.user("a")), false));
    ChatTemplateException e = assertThrows(ChatTemplateException.class,
        () -> t.render(List.of(ChatMessage.assistant("a")), false));
    assertEquals(ChatTemplateException.Kind.REFUSED, e.kind());
    assertTrue(e.getMessage().contains("users first") && e.getMessage().contains("tokenizer_config.json"),
        e.getMessage());
  }

  @Test
  void whatTheEngineCannotRenderIsRefusedNamingTheFile() {
    for (String template : List.of("{{ strftime_now('%d %b %Y') }}", "{{ messages[0].content.casefold() }}",
        "{% for m in messages %}{{ m.role }", "{{ messages[0].content.zfill(3) }}",
        "{{ '\\u00e9' }}")) {
      ChatTemplate t = ChatTemplate.parse(template, "/models/x/tokenizer_config.json", Map.of());
      ChatTemplateException e = assertThrows(ChatTemplateException.class, t::check, template);
      assertEquals(ChatTemplateException.Kind.UNSUPPORTED, e.kind(), template);
      assertTrue(e.getMessage().contains("/models/x/tokenizer_config.json"), e.getMessage());
    }
  }

  @Test
  void pythonStringMethodsFollowPython() {
    assertEquals(List.of("a", "b", "c"), PythonStringMethods.split("  a b\t\nc ", null, -1));
    assertEquals(List.of("a", "b c "), PythonStringMethods.split("  a b c ", null, 1));
    assertEquals(List.of("", "a", "", "b", ""), PythonStringMethods.split(",a,,b,", ",", -1));
    assertEquals(List.of("a", "b,c"), PythonStringMethods.split("a,b,c", ",", 1));
    assertEquals(List.of(), PythonStringMethods.split("   ", null, -1));
    assertEquals("x", PythonStringMethods.strip("\u00a0 x\u2003\n", null, true, true));
    assertEquals("think>", PythonStringMethods.strip("<think>", "<", true, true));
    assertEquals(List.of("a", "", "b"), PythonStringMethods.splitLines("a\r\n\nb\n"));
    assertEquals("\"\\u0001 é\\\\\"", PythonJson.dumps("\u0001 é\\", null));
    assertEquals("{\"a\": [1, true, null]}", PythonJson.dumps(Map.of("a", java.util.Arrays.asList(1L, true, null)),
        null));
  }

  @Test
  void jinja2SyntaxJinjavaParsesOtherwiseRendersAsTransformersRendersIt() throws Exception {
    JsonNode expected = new ObjectMapper().readTree(
        Path.of("src/test/resources/dev/renderloop/model/real-chat/syntax-probes.json").toFile());
    List<ChatMessage> messages = ChatTemplateParityIT.messages(expected.get("messages"));
    int n = 0;
    for (JsonNode c : expected.get("cases")) {
      String template = c.get("template").asText();
      assertEquals(c.get("text").asText(), ChatTemplate.parse(template, "probe", Map.of()).render(messages, true),
          template);
      n++;
    }
    assertEquals(5, n);
  }

  @Test
  void templateVariablesReachTheTemplateAndReservedNamesAreRefused() {
    ChatTemplate t = ChatTemplate.parse("{{ messages[0].content }}{% if enable_thinking is defined and "
        + "enable_thinking is false %}<think></think>{% endif %}", "probe", Map.of());
    List<ChatMessage> m = List.of(ChatMessage.user("q"));
    assertEquals("q", t.render(m, true));
    assertEquals("q", t.render(m, true, Map.of("enable_thinking", true)));
    assertEquals("q<think></think>", t.render(m, true, Map.of("enable_thinking", false)));
    for (String name : List.of("messages", "add_generation_prompt", "tools", "documents", "not-a-name", "")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> t.render(m, true, Map.of(name, false)), name);
      assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
    }
  }

  @Test
  void constructsJinjavaLacksAreRefusedNamingTheConstruct() {
    // transformers defines {% generation %} (assistant masks) and strftime_now; this renderer does not
    Map<String, String> constructs = Map.of(
        "{% for m in messages %}{% generation %}{{ m.content }}{% endgeneration %}{% endfor %}", "generation",
        "{{ strftime_now('%d %b %Y') }}", "strftime_now",
        "{{ messages[0].content.casefold() }}", "casefold");
    constructs.forEach((template, construct) -> {
      ChatTemplateException e = assertThrows(ChatTemplateException.class,
          () -> ChatTemplate.parse(template, "chat_template.jinja", Map.of()).check(), template);
      assertEquals(ChatTemplateException.Kind.UNSUPPORTED, e.kind());
      assertTrue(e.getMessage().contains(construct) && e.getMessage().contains("chat_template.jinja"),
          e.getMessage());
    });
  }
}
