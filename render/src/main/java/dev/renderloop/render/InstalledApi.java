package dev.renderloop.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The API of a Python package as installed for the render workers: the documentation of the names a program
 * uses, and the list of every public name. Served by a warm worker of its own (same interpreter, path and
 * sandbox as the renders) that parses programs with {@code ast} and never runs them.
 *
 * <p>Obtained from {@link RenderEngine#installedApi(String)}; thread-safe; closed with the engine.
 */
public final class InstalledApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PACKAGE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /**
     * One name a program uses.
     *
     * @param name      as resolved ({@code Circle}, {@code Circle.shift}, {@code Scene.play})
     * @param resolved  whether the installed package has it
     * @param signature call signature, empty when unresolved or not callable
     * @param doc       docstring cut before its examples section (at most 1500 characters), empty when unresolved
     */
    public record Entry(String name, boolean resolved, String signature, String doc) {
    }

    /**
     * A lookup's outcome: the entries, or why there are none.
     *
     * @param version the package version, empty when the lookup failed
     * @param entries names in order of first use
     * @param error   why the lookup failed (package not installed, worker crashed), or empty
     */
    public record Lookup(String version, List<Entry> entries, String error) {
        public Lookup {
            entries = List.copyOf(entries);
            version = version == null ? "" : version;
            error = error == null ? "" : error;
        }

        public boolean ok() {
            return error.isEmpty();
        }
    }

    private final String packageName;
    private final PythonWorkerPool pool;

    InstalledApi(String packageName, PythonWorkerPool pool) {
        this.packageName = packageName;
        this.pool = pool;
    }

    static void checkPackageName(String name) {
        if (name == null || !PACKAGE.matcher(name).matches()) {
            throw new IllegalArgumentException("not a top-level Python package name: " + name);
        }
    }

    /** The package. */
    public String packageName() {
        return packageName;
    }

    /** Documentation of the names {@code code} uses. Unparseable code gives an empty, successful lookup. */
    public Lookup lookup(String code) {
        JsonNode answer = call("lookup", Objects.requireNonNull(code, "code"));
        if (answer.has("error_text")) {
            return new Lookup("", List.of(), answer.get("error_text").asText());
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode e : answer.path("entries")) {
            entries.add(new Entry(e.path("name").asText(), e.path("resolved").asBoolean(),
                    e.path("signature").asText(""), e.path("doc").asText("")));
        }
        return new Lookup(answer.path("version").asText(""), entries, "");
    }

    /**
     * Every public name of the package and the public attributes of its classes ({@code Class.attr}).
     *
     * @throws IllegalStateException when the package cannot be imported or the worker fails
     */
    public List<String> names() {
        JsonNode answer = call("index", "");
        if (answer.has("error_text")) {
            throw new IllegalStateException(answer.get("error_text").asText());
        }
        List<String> names = new ArrayList<>();
        answer.path("names").forEach(n -> names.add(n.asText()));
        return names;
    }

    /** The installed version, or an error text starting with "unavailable". */
    public String version() {
        JsonNode answer = call("index", "");
        return answer.has("error_text") ? "unavailable: " + answer.get("error_text").asText() : answer.path("version").asText();
    }

    private JsonNode call(String mode, String code) {
        try {
            return pool.withWorker(worker -> {
                Path job = worker.newJobDir();
                try {
                    Files.writeString(job.resolve("scene.py"), code, StandardCharsets.UTF_8);
                    Files.writeString(job.resolve("apidoc_request.json"), "{\"mode\": \"" + mode + "\"}");
                    ObjectNode message = JSON.createObjectNode();
                    message.put("type", "render");
                    message.put("id", job.getFileName().toString());
                    message.put("job_dir", job.toString());
                    message.set("settings", JSON.valueToTree(RenderSettings.MATPLOTLIB_DEFAULTS.withTimeout(TIMEOUT).toWire()));
                    JsonNode answer = worker.call(message, TIMEOUT.plusSeconds(10));
                    if (!"ok".equals(answer.path("status").asText())) {
                        return error(answer.path("error_kind").asText("runtime_error") + ": " + answer.path("error").asText(""));
                    }
                    return answer.path("apidoc");
                } finally {
                    Directories.delete(job);
                }
            });
        } catch (WorkerException e) {
            return error(packageName + " is unavailable to the workers: " + e.getMessage());
        } catch (IOException e) {
            return error("I/O error around the worker: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error("interrupted");
        }
    }

    private static JsonNode error(String text) {
        ObjectNode node = JSON.createObjectNode();
        node.put("error_text", text);
        return node;
    }
}
