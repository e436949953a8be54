package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderCacheTest {
    @TempDir
    Path dir;

    private final List<RenderCache> opened = new ArrayList<>();

    /** A cache in the test's directory, closed after the test: its background scan must end before the directory goes. */
    private RenderCache open(long maxBytes) {
        RenderCache cache = new RenderCache(dir, maxBytes);
        opened.add(cache);
        return cache;
    }

    @AfterEach
    void closeCaches() {
        opened.forEach(RenderCache::close);
    }

    private static RenderResult staged(Path staging, int bytes) throws Exception {
        Path frames = Files.createDirectories(staging.resolve("frames"));
        Path f = Files.write(frames.resolve("frame_00000.png"), new byte[bytes]);
        return new RenderResult("matplotlib", null, "", List.of(f), f, f, null, 5, 4, false, "log");
    }

    @Test
    void key_dependsOnEveryPart() {
        RenderRequest a = RenderRequest.of("matplotlib", "x");
        String k = RenderCache.key(a, "v1");
        assertEquals(k, RenderCache.key(RenderRequest.of("matplotlib", "x"), "v1"));
        assertNotEquals(k, RenderCache.key(a, "v2"));
        assertNotEquals(k, RenderCache.key(RenderRequest.of("manim", "x"), "v1"));
        assertNotEquals(k, RenderCache.key(RenderRequest.of("matplotlib", "y"), "v1"));
        assertNotEquals(k, RenderCache.key(new RenderRequest("matplotlib", "x", a.settings().withSeed(1)), "v1"));
        // Length-prefixing keeps part boundaries: ("ab","c") and ("a","bc") differ.
        assertNotEquals(RenderCache.key(RenderRequest.of("ab", "c"), "v"), RenderCache.key(RenderRequest.of("a", "bc"), "v"));
    }

    @Test
    void putThenGet_roundTripsWithPathsInsideTheEntry() throws Exception {
        RenderCache cache = open(1 << 20);
        Path staging = cache.newStaging();
        RenderResult stored = cache.put("ab12", staged(staging, 10), staging);
        RenderResult hit = cache.get("ab12");
        assertNotNull(hit);
        assertTrue(hit.cached());
        assertEquals(stored.frames(), hit.frames());
        assertTrue(hit.frames().getFirst().startsWith(dir.resolve("ab").resolve("ab12")));
        assertTrue(Files.exists(hit.frames().getFirst()));
        assertEquals("log", hit.log());
        assertNull(cache.get("cd34"));
    }

    @Test
    void failures_roundTripWithTheirKind() throws Exception {
        RenderCache cache = open(1 << 20);
        Path staging = cache.newStaging();
        cache.put("ee01", RenderResult.failure("manim", ErrorKind.SYNTAX_ERROR, "line 1", 3), staging);
        RenderResult hit = cache.get("ee01");
        assertEquals(ErrorKind.SYNTAX_ERROR, hit.errorKind());
        assertEquals("line 1", hit.error());
    }

    @Test
    void concurrentPutsOfOneKey_allSucceedAndLeaveOneEntry() throws Exception {
        RenderCache cache = open(1 << 24);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<RenderResult>> tasks = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                tasks.add(() -> {
                    Path staging = cache.newStaging();
                    return cache.put("ff00", staged(staging, 100), staging);
                });
            }
            for (Future<RenderResult> f : pool.invokeAll(tasks)) {
                assertTrue(Files.exists(f.get().frames().getFirst()));
            }
        } finally {
            pool.shutdown();
        }
        try (var entries = Files.list(dir.resolve("ff"))) {
            assertEquals(1, entries.count());
        }
        try (var staging = Files.list(dir.resolve("staging"))) {
            assertEquals(0, staging.count(), "losers of the race must clean up their staging directories");
        }
    }

    @Test
    void eviction_keepsTheBoundAndDropsLeastRecentlyUsedFirst() throws Exception {
        RenderCache cache = open(10_000);
        for (int i = 0; i < 5; i++) {
            Path staging = cache.newStaging();
            String key = String.format("%02d%s", i, "x".repeat(10));
            cache.put(key, staged(staging, 3_000), staging);
            // Distinct, increasing use times without sleeping.
            Files.setLastModifiedTime(dir.resolve(key.substring(0, 2)).resolve(key), FileTime.fromMillis(1_000_000L * (i + 1)));
            if (i == 0) {
                continue;
            }
        }
        cache.evict();
        assertTrue(cache.sizeBytes() <= 10_000, "size " + cache.sizeBytes());
        assertNull(cache.get("00xxxxxxxxxx"), "the oldest entry goes first");
        assertNotNull(cache.get("04xxxxxxxxxx"), "the newest entry stays");
    }

    /**
     * Puts never scan: the put that crosses a tenth of the bound starts the scan on its own thread, and the bound is
     * kept without anyone calling evict(). A trash directory left by a stopped eviction goes with the next scan.
     */
    @Test
    void put_crossingTheScanThreshold_evictsInTheBackground() throws Exception {
        RenderCache cache = open(10_000);
        Path leftover = Files.createDirectories(dir.resolve("trash").resolve("stopped-eviction"));
        Files.writeString(leftover.resolve("frame.png"), "x");
        for (int i = 0; i < 6; i++) {
            Path staging = cache.newStaging();
            String key = String.format("%02d%s", i, "y".repeat(10));
            assertNotNull(cache.put(key, staged(staging, 3_000), staging), "the put answers its own entry");
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((cache.evicting() || cache.sizeBytes() > 10_000) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(cache.sizeBytes() <= 10_000, "size " + cache.sizeBytes());
        assertFalse(Files.exists(leftover), "the stopped eviction's trash was deleted");
        assertTrue(Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("render-cache-eviction"))
                .allMatch(Thread::isDaemon), "the scan thread never keeps the JVM alive");
    }

    /**
     * A process does not scan the whole cache at start when the processes before it recorded little written since the
     * last scan: the count is carried in a file, added to at close and reset by each completed scan. With none on
     * record (a new cache, or one from before the file existed) the first put scans.
     */
    @Test
    void bytesWrittenSinceTheLastScan_carryOverFromOneProcessToTheNext() throws Exception {
        RenderCache first = open(100_000);
        assertFalse(Files.exists(dir.resolve("written-since-scan")));
        putEntry(first, "00", 3_000);
        awaitScan(first);
        first.close();
        assertEquals(0, recordedWritten(), "no scan on record: the first put scanned, and the scan saw that entry");

        RenderCache second = open(100_000);
        putEntry(second, "01", 3_000);
        assertFalse(second.evicting(), "3 kB written since the last scan: under a tenth of the bound");
        second.close();
        long recorded = recordedWritten();
        assertTrue(recorded >= 3_000 && recorded < 4_000, "recorded " + recorded);

        RenderCache third = open(100_000);
        putEntry(third, "02", 7_000);
        awaitScan(third);
        assertEquals(0, recordedWritten(), "3 kB before it and 7 kB now crossed a tenth of the bound: a scan ran");
    }

    private void putEntry(RenderCache cache, String shard, int bytes) throws Exception {
        Path staging = cache.newStaging();
        cache.put(shard + "z".repeat(10), staged(staging, bytes), staging);
    }

    private static void awaitScan(RenderCache cache) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (cache.evicting() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertFalse(cache.evicting(), "the scan did not end in 10 s");
    }

    private long recordedWritten() throws Exception {
        return Long.parseLong(Files.readString(dir.resolve("written-since-scan")).trim());
    }

    @Test
    void evict_fromManyThreadsAtOnce_doesNotCollideOnTheLockFile() throws Exception {
        RenderCache cache = open(10_000);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.List<java.util.concurrent.Future<?>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < 64; i++) {
                futures.add(pool.submit(() -> {
                    cache.evict();
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : futures) {
                f.get(); // before the fix: ExecutionException(OverlappingFileLockException)
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
