package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: a hostile job that tries to tamper with the warm worker runs before a benign one with
 * the cache on; a later engine (a fresh process's view: same cache directory, new workers) must get
 * the benign code's true frames, equal to those of an engine without cache.
 */
class PoisonedCacheIT {
    static final String HOSTILE = String.join("\n",
            "import os",
            "for pid in (os.getppid(), 1, 2, 3):",
            "    try:",
            "        with open('/proc/%d/mem' % pid, 'r+b') as f:",
            "            f.seek(0x400000); f.write(b'\\0' * 4096)",
            "    except OSError:",
            "        pass",
            "for d in ('/tmp', '/var/tmp', '/dev/shm', '..', os.environ['HOME']):",
            "    try:",
            "        open(os.path.join(d, 'matplotlibrc'), 'w').write('axes.facecolor: black\\n')",
            "    except OSError:",
            "        pass", "");

    @Test
    void hostileJobBeforeABenignOne_cannotPoisonTheCache(@TempDir Path cache) throws Exception {
        RenderSettings limits = JobIsolationIT.LIMITS;
        try (RenderEngine cached = RenderEngine.builder().workers(1).cacheDir(cache).build()) {
            cached.render(new RenderRequest("matplotlib", HOSTILE, limits));
            RenderResult benign = cached.render(new RenderRequest("matplotlib", TestEngines.GOOD_CHART, limits));
            assertTrue(benign.ok(), benign.error());
        }
        byte[] truth;
        try (RenderEngine fresh = TestEngines.plain(1)) {
            RenderResult r = fresh.render(new RenderRequest("matplotlib", TestEngines.GOOD_CHART, limits));
            assertTrue(r.ok(), r.error());
            truth = Files.readAllBytes(r.lastFrame());
        }
        try (RenderEngine later = RenderEngine.builder().workers(1).cacheDir(cache).build()) {
            RenderResult replay = later.render(new RenderRequest("matplotlib", TestEngines.GOOD_CHART, limits));
            assertTrue(replay.ok() && replay.cached(), "expected a cache hit: " + replay.error());
            assertArrayEquals(truth, Files.readAllBytes(replay.lastFrame()), "the cache holds a poisoned frame");
        }
    }
}
