package dev.renderloop.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Content-addressed render cache on disk: {@code root/ab/abcdef.../} holds {@code entry.json} and the
 * output files of one render. The key is the SHA-256 of domain, code, canonical settings and
 * renderer version.
 *
 * <p>Concurrency: a render is written into a private staging directory and published with one
 * atomic rename, so readers never see a half-written entry, and two processes that render the same
 * key concurrently both succeed (the loser discards its copy). Eviction (least recently used, by the
 * entry directory's modification time, touched on every hit) runs under an exclusive file lock and
 * also renames an entry away before deleting it. Paths returned for an entry stay valid until that
 * entry is evicted.
 */
final class RenderCache {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ENTRY = "entry.json";

    private final Path root;
    private final long maxBytes;
    private final AtomicLong writtenSinceScan = new AtomicLong(Long.MAX_VALUE / 2);

    RenderCache(Path root, long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("cache size bound must be positive, got " + maxBytes);
        }
        this.root = root;
        this.maxBytes = maxBytes;
        try {
            Files.createDirectories(root.resolve("staging"));
            Files.createDirectories(root.resolve("trash"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the render cache at " + root, e);
        }
    }

    Path root() {
        return root;
    }

    static String key(RenderRequest request, String rendererVersion) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : List.of(request.domain(), request.code(),
                    JSON.writeValueAsString(request.settings().toWire()), rendererVersion)) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) ':');
                sha.update(bytes);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path entryDir(String key) {
        return root.resolve(key.substring(0, 2)).resolve(key);
    }

    /** The cached result for {@code key}, or null. Marks the entry as recently used. */
    RenderResult get(String key) {
        Path dir = entryDir(key);
        Path file = dir.resolve(ENTRY);
        try {
            JsonNode node = JSON.readTree(file.toFile());
            try {
                Files.setLastModifiedTime(dir, FileTime.from(Instant.now()));
            } catch (IOException ignored) {
                // evicted meanwhile; the paths below are then gone too
                return null;
            }
            List<Path> frames = new ArrayList<>();
            node.path("frames").forEach(f -> frames.add(dir.resolve(f.asText())));
            return new RenderResult(node.path("domain").asText(),
                    node.hasNonNull("error_kind") ? ErrorKind.fromWire(node.get("error_kind").asText()) : null,
                    node.path("error").asText(""), frames,
                    node.hasNonNull("media") ? dir.resolve(node.get("media").asText()) : null,
                    node.hasNonNull("last_frame") ? dir.resolve(node.get("last_frame").asText()) : null,
                    node.hasNonNull("scene") ? node.get("scene").asText() : null,
                    0, node.path("render_millis").asLong(), true, node.path("log").asText(""), details(node));
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;  // a corrupt entry is a miss; it will be replaced
        }
    }

    private static Map<String, String> details(JsonNode node) {
        Map<String, String> details = new TreeMap<>();
        node.path("details").properties().forEach(e -> details.put(e.getKey(), e.getValue().asText()));
        return details;
    }

    /** A new empty directory to render into before {@link #put}. */
    Path newStaging() throws IOException {
        return Files.createDirectory(root.resolve("staging").resolve(UUID.randomUUID().toString()));
    }

    /**
     * Publishes the render in {@code staging} (whose files {@code result} points to) under {@code key}.
     * Returns the result with paths inside the published entry.
     */
    RenderResult put(String key, RenderResult result, Path staging) throws IOException {
        return put(key, result, staging, null, null);
    }

    /**
     * As {@link #put(String, RenderResult, Path)}, recording the request's settings and the renderer
     * version in the entry, so that every cached render can say what produced it.
     */
    RenderResult put(String key, RenderResult result, Path staging, RenderRequest request, String rendererVersion) throws IOException {
        ObjectNode node = JSON.createObjectNode();
        if (request != null) {
            ObjectNode provenance = node.putObject("provenance");
            provenance.put("renderer_version", rendererVersion);
            provenance.set("settings", JSON.valueToTree(request.settings().toWire()));
            provenance.put("code_sha256", RenderEngine.sha256(request.code().getBytes(StandardCharsets.UTF_8)));
            provenance.put("created", Instant.now().toString());
        }
        node.put("domain", result.domain());
        node.put("error_kind", result.errorKind() == null ? null : result.errorKind().wireName());
        node.put("error", result.error());
        var frames = node.putArray("frames");
        result.frames().forEach(f -> frames.add(staging.relativize(f).toString()));
        node.put("media", result.media() == null ? null : staging.relativize(result.media()).toString());
        node.put("last_frame", result.lastFrame() == null ? null : staging.relativize(result.lastFrame()).toString());
        node.put("scene", result.scene());
        node.put("render_millis", result.renderMillis());
        node.put("log", result.log());
        result.details().forEach(node.putObject("details")::put);
        Files.writeString(staging.resolve(ENTRY), JSON.writeValueAsString(node));
        Path dir = entryDir(key);
        Files.createDirectories(dir.getParent());
        try {
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileSystemException e) {
            // rename(2) onto a non-empty directory fails with EEXIST or ENOTEMPTY, which Java reports
            // as several exception types: if the entry is there, another render of the key won the race.
            if (!Files.exists(dir.resolve(ENTRY))) {
                throw e;
            }
            Directories.delete(staging);
        }
        if (writtenSinceScan.addAndGet(Directories.size(dir)) > maxBytes / 10) {
            evict();
        }
        RenderResult published = get(key);
        return published != null ? published : result;
    }

    /** Drops least recently used entries until the cache is at most 90 % of its bound. */
    void evict() throws IOException {
        // A FileLock excludes other processes only: a second thread of this JVM locking the same file gets an
        // OverlappingFileLockException (parallel renders that both cross the scan threshold). Threads queue here first.
        synchronized (EVICTION) {
            evictLocked();
        }
    }

    private static final Object EVICTION = new Object();

    private void evictLocked() throws IOException {
        try (FileChannel channel = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            writtenSinceScan.set(0);
            record Entry(Path dir, long bytes, FileTime used) {
            }
            List<Entry> entries = new ArrayList<>();
            try (Stream<Path> shards = Files.list(root)) {
                for (Path shard : shards.filter(p -> p.getFileName().toString().length() == 2).toList()) {
                    try (Stream<Path> dirs = Files.list(shard)) {
                        for (Path d : dirs.toList()) {
                            entries.add(new Entry(d, Directories.size(d), Files.getLastModifiedTime(d)));
                        }
                    }
                }
            }
            long total = entries.stream().mapToLong(Entry::bytes).sum();
            entries.sort(Comparator.comparing(Entry::used));
            long target = maxBytes - maxBytes / 10;
            for (Entry e : entries) {
                if (total <= target) {
                    break;
                }
                Path trash = root.resolve("trash").resolve(UUID.randomUUID().toString());
                try {
                    Files.move(e.dir(), trash, StandardCopyOption.ATOMIC_MOVE);
                    Directories.delete(trash);
                    total -= e.bytes();
                } catch (java.nio.file.NoSuchFileException gone) {
                    total -= e.bytes();
                }
            }
        }
    }

    /** Total bytes currently in published entries. */
    long sizeBytes() {
        long total = 0;
        try (Stream<Path> shards = Files.list(root)) {
            for (Path shard : shards.filter(p -> p.getFileName().toString().length() == 2).toList()) {
                total += Directories.size(shard);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return total;
    }
}
