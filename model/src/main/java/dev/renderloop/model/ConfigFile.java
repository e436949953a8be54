package dev.renderloop.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading the JSON configuration files of a model or adapter directory, with errors that name the file. */
final class ConfigFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ConfigFile() {}

  /**
   * The text of {@code dir/name}.
   *
   * @param dirKind what the directory is, for the message when the file is missing ("model", "adapter")
   */
  static String read(Path dir, String name, String dirKind) throws ModelFormatException {
    Path file = dir.resolve(name);
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException("no " + name + " in " + dirKind + " directory " + dir);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** {@code json} parsed as a JSON object; {@code source} names it in error messages. */
  static JsonNode object(String json, String source) throws ModelFormatException {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new ModelFormatException(source + " is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ModelFormatException(source + " is not a JSON object");
    }
    return root;
  }

  /** {@code node.field} as an int; missing, null or non-integral values are errors naming {@code source}. */
  static int requiredInt(JsonNode node, String field, String source) throws ModelFormatException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new ModelFormatException(source + ": missing field '" + field + "'");
    }
    if (!value.canConvertToInt() || !value.isIntegralNumber()) {
      throw new ModelFormatException(source + ": field '" + field + "' must be an integer, got " + value);
    }
    return value.intValue();
  }
}
