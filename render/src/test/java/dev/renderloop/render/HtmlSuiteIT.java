package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The bundled html suite: well-formed, self-contained, and every page renders to a non-blank image. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HtmlSuiteIT {
    static final String SUITE = "/dev/renderloop/task/suites/html/tasks.jsonl";

    /** One task of the suite, as the JSONL line holds it. */
    record Task(String id, String domain, String description, String code) {
    }

    ChromiumRenderer chromium;

    @TempDir
    Path out;

    @BeforeAll
    void start() {
        chromium = new ChromiumRenderer();
    }

    @AfterAll
    void stop() {
        chromium.close();
    }

    /** The suite's tasks, in file order. */
    static List<Task> tasks() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Task> tasks = new ArrayList<>();
        try (InputStream in = Objects.requireNonNull(HtmlSuiteIT.class.getResourceAsStream(SUITE), SUITE + " missing");
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                tasks.add(new Task(n.path("id").asText(), n.path("domain").asText(), n.path("description").asText(),
                        n.path("code").asText()));
            }
        }
        return tasks;
    }

    @Test
    void suite_isWellFormedAndSelfContained() throws IOException {
        List<Task> tasks = tasks();
        assertTrue(tasks.size() >= 20, "at least 20 tasks, got " + tasks.size());
        Set<String> ids = new HashSet<>();
        for (Task t : tasks) {
            assertTrue(t.id().matches("html-\\d{3}"), t.id());
            assertTrue(ids.add(t.id()), "duplicate id " + t.id());
            assertEquals("html", t.domain(), t.id());
            assertTrue(t.description().length() > 40, t.id() + ": the description must say what to build");
            assertTrue(t.code().startsWith("<!doctype html>"), t.id());
            // No external resources: the renderer would block them, and the task would not be reproducible.
            for (String external : List.of("http://", "https://", "//cdn", "@import", "url(")) {
                assertTrue(!t.code().contains(external), t.id() + " refers to an external resource: " + external);
            }
        }
    }

    Stream<Task> everyTask() throws IOException {
        return tasks().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyTask")
    void everyTask_rendersWithoutErrors(Task task) throws Exception {
        Assumptions.assumeTrue(chromium.availability().available(), chromium.availability().detail());
        Path dir = Files.createDirectories(out.resolve(task.id()));
        RenderResult r = chromium.render(new RenderRequest("html", task.code(), RenderSettings.HTML_DEFAULTS), dir);
        assertTrue(r.ok(), task.id() + ": " + r.error());
        assertTrue(r.log().isEmpty(), task.id() + " logged: " + r.log());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertEquals(1280, image.getWidth());
        assertTrue(image.getHeight() >= 800);
        assertTrue(ChromiumRendererIT.darkPixels(image) > 200 || colouredPixels(image) > 2000, task.id() + " rendered (nearly) blank");
    }

    static long colouredPixels(BufferedImage image) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                if ((image.getRGB(x, y) & 0xffffff) != 0xffffff) {
                    n++;
                }
            }
        }
        return n;
    }
}
