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
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>The bound is kept by a scan of every entry after each tenth of the bound written, on a background thread
 * ({@link #evictInBackground}); the bytes written since the last scan are carried from one process to the next in
 * {@code written-since-scan}, so a short run does not scan the whole cache at start.
 */
final class RenderCache {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ENTRY = "entry.json";
    /**
     * Bytes published since the last scan by processes that have closed this cache: a process that opens the cache
     * scans at once only when that is over the threshold (or the file is missing: no scan on record), not at every
     * start. A process that dies without closing leaves its bytes out until a scan measures them.
     */
    private static final String WRITTEN = "written-since-scan";
    private static final long NO_SCAN_ON_RECORD = Long.MAX_VALUE / 2;

    private final Path root;
    private final long maxBytes;
    /** Bytes published since the last scan as far as this process knows: its own, plus what the file said at start. */
    private final AtomicLong writtenSinceScan = new AtomicLong();
    /** Bytes this process published that no scan has seen and that are not yet added to {@link #WRITTEN}. */
    private final AtomicLong unrecorded = new AtomicLong();
    private final AtomicBoolean evicting = new AtomicBoolean();
    private volatile Thread scan;      // the running background scan, if any
    private volatile boolean closed;   // set by close(): a running scan ends without another round
    private static final System.Logger LOG = System.getLogger(RenderCache.class.getName());

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
        writtenSinceScan.set(recordedWritten());
    }

    /** What {@link #WRITTEN} says, or {@link #NO_SCAN_ON_RECORD} when it is missing or unreadable. */
    private long recordedWritten() {
        try {
            return Math.max(0, Long.parseLong(Files.readString(root.resolve(WRITTEN)).trim()));
        } catch (IOException | NumberFormatException e) {
            return NO_SCAN_ON_RECORD;
        }
    }

    private void record(long written) throws IOException {
        Path tmp = root.resolve(WRITTEN + "." + UUID.randomUUID());
        Files.writeString(tmp, Long.toString(written));
        Files.move(tmp, root.resolve(WRITTEN), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
        long bytes = Directories.size(dir);
        unrecorded.addAndGet(bytes);
        if (writtenSinceScan.addAndGet(bytes) > maxBytes / 10) {
            evictInBackground();
        }
        RenderResult published = get(key);
        return published != null ? published : result;
    }

    /**
     * Starts one eviction scan on a daemon thread, unless one is running. A scan lists and sizes every entry: with
     * the default bound of 2 GiB a cache holds ~100,000 small renders (charts, SVGs), and the scan took seconds of
     * CPU (measured: a reward service's first render after start spent them in its request thread, the scan reading
     * directory blocks from disk). The render that crossed the threshold must not wait for it. What is written while
     * a scan runs may exceed the bound until the next scan; a failed scan is logged, and never turns a good render
     * into a failed one.
     */
    private void evictInBackground() {
        if (!evicting.compareAndSet(false, true)) {
            return;
        }
        scan = Thread.ofPlatform().daemon().name("render-cache-eviction").start(() -> {
            try {
                do {  // again when what was written during a scan crossed the threshold (its put found one running)
                    evict();
                } while (!closed && writtenSinceScan.get() > maxBytes / 10);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "render cache eviction in " + root + " failed: " + e);
            } finally {
                evicting.set(false);
            }
        });
    }

    /**
     * Waits for a running background scan to end (a short run on a large cache waits here for the scan its first
     * render started, as it once waited in that render), so nothing writes in the cache after the engine closed, then
     * adds this process's unscanned bytes to the record. A later put still publishes its entry.
     */
    void close() {
        closed = true;
        Thread t = scan;
        if (t != null) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long mine = unrecorded.getAndSet(0);
        if (mine == 0) {
            return;
        }
        synchronized (EVICTION) {
            try (FileChannel channel = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                long recorded = recordedWritten();
                if (recorded < NO_SCAN_ON_RECORD) {  // none on record: the next process scans anyway
                    record(recorded + mine);
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot record the render cache's written bytes in " + root + ": " + e);
            }
        }
    }

    /** Whether a background eviction scan is running (tests). */
    boolean evicting() {
        return evicting.get();
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
            unrecorded.set(0);  // this scan measures them
            // Under the lock no other eviction is deleting: what is in the trash was left by one that was stopped.
            try (Stream<Path> left = Files.list(root.resolve("trash"))) {
                left.forEach(Directories::delete);
            }
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
            record(0);
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
