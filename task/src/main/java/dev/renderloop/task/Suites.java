package dev.renderloop.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Reads suites: the bundled per-domain suites (in the jar) and the generic JSONL format.
 *
 * <p>JSONL format, one task per line: {@code {"id": "...", "domain": "...", "description": "...",
 * "code": "...", "target": "targets/ID.png", "level": "..."}}; {@code id}, {@code domain} and
 * {@code code} are required, {@code target} is a PNG path relative to the JSONL file (optional),
 * blank lines are skipped. A malformed line, or a {@code target} file that does not exist, is an error naming the
 * file and line number.
 */
public final class Suites {
    /** Domains with a bundled suite. */
    public static final List<String> BUNDLED = List.of("svg", "smiles", "rdkit", "html", "tikz");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROOT = "dev/renderloop/task/suites/";

    private Suites() {
    }

    /**
     * The bundled suite of {@code domain}; its targets are {@code targets/ID.png} beside the tasks
     * when they have been rendered ({@code renderloop suite targets}).
     *
     * @throws IllegalArgumentException when no suite is bundled for the domain
     */
    public static Suite bundled(String domain) {
        String base = ROOT + domain + "/";
        InputStream in = Suites.class.getResourceAsStream("/" + base + "tasks.jsonl");
        if (in == null) {
            throw new IllegalArgumentException("no bundled suite for domain '" + domain + "'; bundled: " + BUNDLED);
        }
        try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return read("bundled:" + domain, reader, rel -> TargetImage.ofResource(base + rel), id -> {
                TargetImage t = TargetImage.ofResource(base + "targets/" + id + ".png");
                return t.exists() ? t : null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a JSONL suite file; target paths resolve against the file's directory. */
    public static Suite readJsonl(Path file) throws IOException {
        return readJsonl(file, null);
    }

    /**
     * Reads a JSONL suite file whose lines may leave out {@code domain} (then {@code defaultDomain} applies),
     * e.g. the ManimBench JSONL ({@code id}, {@code description}, {@code code}, {@code level}, {@code split})
     * with {@code defaultDomain = "manim"}.
     */
    public static Suite readJsonl(Path file, String defaultDomain) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(file.getFileName().toString(), reader, rel -> TargetImage.ofFile(dir.resolve(rel)), id -> null, defaultDomain);
        }
    }

    private static Suite read(String name, Reader reader, Function<String, TargetImage> explicitTarget,
                              Function<String, TargetImage> defaultTarget) throws IOException {
        return read(name, reader, explicitTarget, defaultTarget, null);
    }

    private static Suite read(String name, Reader reader, Function<String, TargetImage> explicitTarget,
                              Function<String, TargetImage> defaultTarget, String defaultDomain) throws IOException {
        List<Task> tasks = new ArrayList<>();
        BufferedReader lines = new BufferedReader(reader);
        String line;
        int number = 0;
        while ((line = lines.readLine()) != null) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    // The parser's own message ends with its location ("line: 1", a redacted source): we know the line.
                    String what = e.getOriginalMessage().lines().findFirst().orElse("").strip();
                    throw new IllegalArgumentException("not valid JSON (column "
                            + (e.getLocation() == null ? "?" : e.getLocation().getColumnNr()) + "): " + what, e);
                }
                if (node == null || !node.isObject()) {
                    throw new IllegalArgumentException("not a JSON object");
                }
                String id = required(node, "id");
                TargetImage target = node.hasNonNull("target") ? explicitTarget.apply(node.get("target").asText())
                        : defaultTarget.apply(id);
                if (node.hasNonNull("target") && !target.exists()) {
                    // A named target that is not there is a broken suite, description or not: never score without it silently.
                    throw new IllegalArgumentException("target file " + (target.file() != null ? target.file() : target.resource())
                            + " does not exist");
                }
                String domain = defaultDomain != null && !node.hasNonNull("domain") ? defaultDomain : required(node, "domain");
                tasks.add(new Task(id, domain, node.path("description").asText(""),
                        required(node, "code"), target, node.hasNonNull("level") ? node.get("level").asText() : null));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + " line " + number + ": " + e.getMessage(), e);
            }
        }
        return new Suite(name, tasks);
    }

    private static String required(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || !v.isTextual() || v.asText().isEmpty()) {
            throw new IllegalArgumentException("field '" + field + "' is missing or not a non-empty string");
        }
        return v.asText();
    }
}
