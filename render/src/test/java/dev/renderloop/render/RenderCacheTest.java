package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderCacheTest {
    @TempDir
    Path dir;

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
        RenderCache cache = new RenderCache(dir, 1 << 20);
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
        RenderCache cache = new RenderCache(dir, 1 << 20);
        Path staging = cache.newStaging();
        cache.put("ee01", RenderResult.failure("manim", ErrorKind.SYNTAX_ERROR, "line 1", 3), staging);
        RenderResult hit = cache.get("ee01");
        assertEquals(ErrorKind.SYNTAX_ERROR, hit.errorKind());
        assertEquals("line 1", hit.error());
    }

    @Test
    void concurrentPutsOfOneKey_allSucceedAndLeaveOneEntry() throws Exception {
        RenderCache cache = new RenderCache(dir, 1 << 24);
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
        RenderCache cache = new RenderCache(dir, 10_000);
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

    @Test
    void evict_fromManyThreadsAtOnce_doesNotCollideOnTheLockFile() throws Exception {
        RenderCache cache = new RenderCache(dir, 10_000);
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
