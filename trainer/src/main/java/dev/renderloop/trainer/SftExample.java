package dev.renderloop.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.model.ChatMessage;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One SFT pair: the conversation up to the answer, and the answer (the completion the loss is taken on).
 *
 * @param id where it came from (task id, or file and line)
 * @param prompt the messages before the answer, at least one
 * @param completion the assistant's answer
 */
public record SftExample(String id, List<ChatMessage> prompt, String completion) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> FENCE = Map.of("manim", "python", "matplotlib", "python", "rdkit",
      "python", "svg", "svg", "html", "html", "tikz", "latex", "smiles", "smiles");

  public SftExample {
    Objects.requireNonNull(id, "id");
    prompt = List.copyOf(prompt);
    Objects.requireNonNull(completion, "completion");
    if (prompt.isEmpty()) {
      throw new IllegalArgumentException(id + ": no prompt messages before the answer");
    }
  }

  /**
   * A task as an SFT pair: {@code system} (if not null) and the task's description as the user message, the
   * reference code in a fenced block with the domain's language tag (what {@code CodeExtractor} reads back) as
   * the answer.
   *
   * @throws IllegalArgumentException when the task has no reference code
   */
  public static SftExample of(Task task, String system) {
    if (task.code().isBlank()) {
      throw new IllegalArgumentException("task " + task.id() + " has no reference code to train on");
    }
    List<ChatMessage> prompt = new ArrayList<>();
    if (system != null) {
      prompt.add(ChatMessage.system(system));
    }
    prompt.add(ChatMessage.user(task.description()));
    String tag = FENCE.getOrDefault(task.domain(), "");
    return new SftExample(task.id(), prompt, "```" + tag + "\n" + task.code().strip() + "\n```");
  }

  /**
   * Reads a JSONL corpus in the chat layout TRL reads: one object per line with {@code "messages": [{"role",
   * "content"}, ...]} whose last message is the assistant's answer (as {@code renderloop data build} writes it).
   * Blank lines are skipped. A row with images is refused: the in-process model reads text only.
   *
   * @throws IOException when the file cannot be read, or a line (named by number) is not such an object
   */
  public static List<SftExample> readJsonl(Path file) throws IOException {
    List<SftExample> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (!line.isBlank()) {
        out.add(parseRow(file + ":" + (i + 1), line));
      }
    }
    if (out.isEmpty()) {
      throw new IOException(file + ": no examples");
    }
    return out;
  }

  /**
   * One row of the chat layout, as JSON text (a JSONL line, or a Parquet row converted to JSON).
   *
   * @param where names the row in messages (file and line or row number); it becomes the example's id
   * @throws IOException naming {@code where} when the row is not JSON, has no {@code messages} list of at least two
   *     string role/content messages ending with the assistant's, or has images
   */
  public static SftExample parseRow(String where, String json) throws IOException {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (IOException e) {
      throw new IOException(where + ": not JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    JsonNode messages = node == null ? null : node.get("messages");
    if (messages == null || !messages.isArray() || messages.size() < 2) {
      throw new IOException(where + ": expected {\"messages\": [...]} with at least two messages");
    }
    JsonNode images = node.get("images");
    if (images != null && images.isArray() && !images.isEmpty()) {
      throw new IOException(where + ": the row has images, and the in-process model reads text only (train on a "
          + "text-only corpus, e.g. data build's text2code or optimise)");
    }
    List<ChatMessage> prompt = new ArrayList<>();
    for (int m = 0; m < messages.size(); m++) {
      JsonNode msg = messages.get(m);
      JsonNode role = msg.get("role");
      JsonNode content = msg.get("content");
      if (role == null || !role.isTextual() || content == null || !content.isTextual()) {
        throw new IOException(where + ": message " + m + " needs string \"role\" and \"content\"");
      }
      if (m < messages.size() - 1) {
        prompt.add(new ChatMessage(role.asText(), content.asText()));
      } else if (!role.asText().equals("assistant")) {
        throw new IOException(where + ": the last message must be the assistant's answer, got role " + role.asText());
      } else {
        return new SftExample(where, prompt, content.asText());
      }
    }
    throw new AssertionError("unreachable: the loop returns at the last message");
  }
}
