package dev.renderloop.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.renderloop.render.CodeExtractor;
import dev.renderloop.render.ExtractedCode;
import dev.renderloop.score.RewardSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads {@code /v1/score} and {@code /v1/render} bodies into items, checking every bound of the
 * {@link RewardServiceConfig} first. Anything wrong is a 400 (413 for size bounds) naming the field
 * ({@code items[3].domain}) and what is accepted; nothing is queued for a request with a bad item.
 */
final class RewardRequests {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int MAX_ID_CHARS = 256;

    /** A reference picture: PNG bytes, checked to be a PNG within the pixel bound. */
    record ReferenceImage(byte[] png, int width, int height) {}

    /**
     * One item to score.
     *
     * @param code          the program to render (extracted from the answer, or given)
     * @param formatOk      VinciCoder's format flag of the answer; {@code null} when code was given directly
     * @param referenceCode the reference program, or {@code null}
     * @param image         the reference picture, or {@code null}
     */
    record ScoreItem(String id, String domain, String code, Boolean formatOk, String referenceCode, ReferenceImage image,
            RewardSpec spec, boolean allMetrics) {}

    /** One item to render; {@code frameIds} asks for cache ids instead of base64 frames. */
    record RenderItem(String id, String domain, String code, Boolean formatOk, boolean frameIds) {}

    /** A parsed batch. */
    record Batch<T>(List<T> items, Duration deadline) {}

    private final RewardServiceConfig config;
    private final Set<String> domains;

    RewardRequests(RewardServiceConfig config, Set<String> domains) {
        this.config = config;
        this.domains = Set.copyOf(domains);
    }

    Batch<ScoreItem> score(JsonNode req) throws HttpError {
        return batch(req, (it, at, id, domain, c) -> {
            String refCode = optionalText(it, "reference_code", at);
            if (refCode != null) {
                checkSize(refCode, at + ".reference_code");
            }
            ReferenceImage image = image(it.get("reference_image"), at + ".reference_image");
            if ((refCode == null || refCode.isBlank()) && image == null) {
                throw HttpError.bad(at, at + " needs reference_code or reference_image (or both) to be scored against");
            }
            RewardSpec spec = spec(it.get("reward"), at + ".reward", domain);
            JsonNode m = it.get("metrics");
            String metrics = m == null || m.isNull() ? "reward" : m.isTextual() ? m.asText() : "";
            if (!metrics.equals("reward") && !metrics.equals("all")) {
                throw HttpError.bad(at + ".metrics", at + ".metrics must be \"reward\" (the metrics the reward needs, the"
                        + " default) or \"all\" (every metric of the domain), got " + it.get("metrics"));
            }
            return new ScoreItem(id, domain, c.code(), c.formatOk(), refCode, image, spec, metrics.equals("all"));
        });
    }

    Batch<RenderItem> render(JsonNode req) throws HttpError {
        return batch(req, (it, at, id, domain, c) -> {
            String frames = it.path("frames").asText("base64");
            if (!frames.equals("base64") && !frames.equals("ids")) {
                throw HttpError.bad(at + ".frames", at + ".frames must be \"base64\" or \"ids\", got " + it.get("frames"));
            }
            return new RenderItem(id, domain, c.code(), c.formatOk(), frames.equals("ids"));
        });
    }

    /** Reads the fields of one item beyond those every item has. */
    @FunctionalInterface
    private interface ItemReader<T> {
        /**
         * @param it     the item's JSON object
         * @param at     where it is in the request ({@code items[3]}), for messages
         * @param id     its id, unique in the batch
         * @param domain its domain, one the engine renders
         * @param c      its program, extracted from the answer or given as code
         */
        T read(JsonNode it, String at, String id, String domain, Candidate c) throws HttpError;
    }

    /** A batch: the items array and deadline checked, and for each item in order its id, domain and program, then the rest. */
    private <T> Batch<T> batch(JsonNode req, ItemReader<T> reader) throws HttpError {
        JsonNode items = items(req);
        List<T> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode it = items.get(i);
            String at = "items[" + i + "]";
            object(it, at);
            String id = id(it, at, ids);
            String domain = domain(it, at);
            out.add(reader.read(it, at, id, domain, candidate(it, at, domain)));
        }
        return new Batch<>(out, deadline(req));
    }

    private JsonNode items(JsonNode req) throws HttpError {
        JsonNode items = req.get("items");
        if (items == null || !items.isArray() || items.isEmpty()) {
            throw HttpError.bad("items", "items must be a non-empty array of objects");
        }
        if (items.size() > config.maxItems()) {
            throw new HttpError(413, "request_too_large", "items", "a request holds at most " + config.maxItems()
                    + " items, got " + items.size() + " (send smaller batches)");
        }
        if (items.size() > config.queueCapacity()) {
            throw new HttpError(413, "request_too_large", "items", "a batch of " + items.size() + " items can never fit"
                    + " this server's queue of " + config.queueCapacity() + " items (send smaller batches)");
        }
        return items;
    }

    private Duration deadline(JsonNode req) throws HttpError {
        JsonNode d = req.get("deadline_ms");
        if (d == null || d.isNull()) {
            return config.defaultDeadline();
        }
        if (!d.isIntegralNumber() || d.asLong() < 1 || d.asLong() > config.maxDeadline().toMillis()) {
            throw HttpError.bad("deadline_ms", "deadline_ms must be an integer in [1, " + config.maxDeadline().toMillis()
                    + "], got " + d);
        }
        return Duration.ofMillis(d.asLong());
    }

    private static void object(JsonNode it, String at) throws HttpError {
        if (!it.isObject()) {
            throw HttpError.bad(at, at + " must be an object");
        }
    }

    private static String id(JsonNode it, String at, Set<String> seen) throws HttpError {
        JsonNode id = it.get("id");
        if (id == null || !(id.isTextual() || id.isIntegralNumber()) || id.asText().isEmpty()
                || id.asText().length() > MAX_ID_CHARS) {
            throw HttpError.bad(at + ".id", at + ".id must be a non-empty string (at most " + MAX_ID_CHARS
                    + " characters) or an integer");
        }
        if (!seen.add(id.asText())) {
            throw HttpError.bad(at + ".id", "duplicate id '" + id.asText() + "' in the batch");
        }
        return id.asText();
    }

    private String domain(JsonNode it, String at) throws HttpError {
        JsonNode d = it.get("domain");
        if (d == null || !d.isTextual()) {
            throw HttpError.bad(at + ".domain", at + ".domain must be one of " + sorted(domains));
        }
        if (!domains.contains(d.asText())) {
            throw HttpError.bad(at + ".domain", "unknown domain '" + d.asText() + "' in " + at + "; this server renders "
                    + sorted(domains));
        }
        return d.asText();
    }

    private record Candidate(String code, Boolean formatOk) {}

    /** The program: {@code code} as given, or extracted from {@code answer} as the agent extracts it. */
    private Candidate candidate(JsonNode it, String at, String domain) throws HttpError {
        String answer = optionalText(it, "answer", at);
        String code = optionalText(it, "code", at);
        if ((answer == null) == (code == null)) {
            throw HttpError.bad(at, at + " needs exactly one of answer (a model's whole answer) or code (the program)");
        }
        if (code != null) {
            checkSize(code, at + ".code");
            return new Candidate(code, null);
        }
        checkSize(answer, at + ".answer");
        ExtractedCode e = CodeExtractor.extract(domain, answer);
        return new Candidate(e.source() == ExtractedCode.Source.NONE ? "" : e.code(), e.formatOk());
    }

    private void checkSize(String text, String field) throws HttpError {
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > config.maxCodeBytes()) {
            throw new HttpError(413, "request_too_large", field, field + " is " + bytes + " bytes; this server takes at"
                    + " most " + config.maxCodeBytes() + " bytes of code per field");
        }
    }

    private static String optionalText(JsonNode it, String field, String at) throws HttpError {
        JsonNode v = it.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw HttpError.bad(at + "." + field, at + "." + field + " must be a string");
        }
        return v.asText();
    }

    private static RewardSpec spec(JsonNode node, String at, String domain) throws HttpError {
        if (node == null || node.isNull()) {
            return domain.equals("manim") ? RewardSpec.manim() : RewardSpec.vinciCoder();
        }
        if (!node.isTextual()) {
            throw HttpError.bad(at, at + " must be a reward spec string");
        }
        try {
            return RewardSpec.parse(node.asText());
        } catch (IllegalArgumentException e) {
            throw HttpError.bad(at, at + ": " + e.getMessage());
        }
    }

    /** {@code {"png_base64": "..."}} or {@code {"path": "..."}} (under the configured image root only). */
    private ReferenceImage image(JsonNode node, String at) throws HttpError {
        if (node == null || node.isNull()) {
            return null;
        }
        byte[] png;
        if (node.isObject() && node.path("png_base64").isTextual()) {
            try {
                png = Base64.getDecoder().decode(node.get("png_base64").asText().replaceAll("\\s+", ""));
            } catch (IllegalArgumentException e) {
                throw HttpError.bad(at + ".png_base64", at + ".png_base64 is not base64: " + e.getMessage());
            }
        } else if (node.isObject() && node.path("path").isTextual()) {
            png = readImage(node.get("path").asText(), at + ".path");
        } else {
            throw HttpError.bad(at, at + " must be {\"png_base64\": \"...\"} or {\"path\": \"...\"}");
        }
        return checkPng(png, at);
    }

    private byte[] readImage(String name, String at) throws HttpError {
        if (config.imageRoot() == null) {
            throw HttpError.bad(at, "this server reads no image paths (start it with --image-root DIR); send png_base64");
        }
        try {
            Path root = config.imageRoot().toRealPath();
            Path file = root.resolve(name).normalize();
            // toRealPath resolves links, so a link inside the root that points out of it is refused too
            if (!file.startsWith(root) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    || !file.toRealPath().startsWith(root)) {
                throw HttpError.bad(at, at + " '" + name + "' is not a regular file under the server's image root");
            }
            if (Files.size(file) > config.maxBodyBytes()) {
                throw new HttpError(413, "request_too_large", at, at + " '" + name + "' is over " + config.maxBodyBytes() + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw HttpError.bad(at, at + " '" + name + "' cannot be read: " + e.getMessage());
        }
    }

    /** Checks the PNG signature and the IHDR size against the pixel bound, before anything decodes it. */
    private ReferenceImage checkPng(byte[] png, String at) throws HttpError {
        if (png.length < 33 || !java.util.Arrays.equals(png, 0, 8, PNG_MAGIC, 0, 8)
                || !new String(png, 12, 4, StandardCharsets.ISO_8859_1).equals("IHDR")) {
            throw HttpError.bad(at, at + " is not a PNG image");
        }
        long w = readInt(png, 16) & 0xFFFFFFFFL;
        long h = readInt(png, 20) & 0xFFFFFFFFL;
        if (w < 1 || h < 1 || w * h > config.maxImagePixels()) {
            throw new HttpError(413, "request_too_large", at, at + " is " + w + "x" + h + " pixels; this server takes at"
                    + " most " + config.maxImagePixels() + " pixels");
        }
        return new ReferenceImage(png, (int) w, (int) h);
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }
}
