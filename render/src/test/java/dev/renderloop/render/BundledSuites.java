package dev.renderloop.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads the bundled suites (kept by the task module, {@code dev/renderloop/task/suites/<domain>/tasks.jsonl})
 * with every raw field, for tests that check the file format itself.
 */
final class BundledSuites {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BundledSuites() {
    }

    /** One line of a suite file. */
    record Task(String id, String domain, String description, String code, JsonNode raw) {
    }

    static String resource(String domain) {
        return "/dev/renderloop/task/suites/" + domain + "/tasks.jsonl";
    }

    static List<Task> load(String domain) {
        try (InputStream in = Objects.requireNonNull(RenderEngine.class.getResourceAsStream(resource(domain)),
                () -> resource(domain) + " is missing from the jar");
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<Task> tasks = new ArrayList<>();
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = JSON.readTree(line);
                tasks.add(new Task(node.path("id").asText(""), node.path("domain").asText(""),
                        node.path("description").asText(""), node.path("code").asText(""), node));
            }
            return tasks;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
