package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Engine plumbing with a test-double renderer: input checks, routing, caching rules, clock. */
class RenderEngineTest {
    @TempDir
    Path dir;

    /** Renders "ok" to a one-pixel file, "timeout" to a TIMEOUT failure, anything else to a runtime error. */
    static final class ScriptedRenderer implements Renderer {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicLong fakeClock;
        final boolean available;

        ScriptedRenderer(AtomicLong fakeClock, boolean available) {
            this.fakeClock = fakeClock;
            this.available = available;
        }

        @Override
        public String domain() {
            return "scripted";
        }

        @Override
        public Availability availability() {
            return available ? Availability.yes("scripted 1.0") : Availability.no("scripted runtime missing");
        }

        @Override
        public String version() {
            return "1.0";
        }

        @Override
        public RenderResult render(RenderRequest request, Path outputDir) {
            calls.incrementAndGet();
            fakeClock.addAndGet(7_000_000);  // every render "takes" 7 ms
            try {
                return switch (request.code().strip()) {
                    case "ok" -> {
                        Path f = Files.write(outputDir.resolve("f.png"), new byte[] {1});
                        yield new RenderResult("scripted", null, "", List.of(f), f, f, null, 7, 7, false, "");
                    }
                    case "timeout" -> RenderResult.failure("scripted", ErrorKind.TIMEOUT, "too slow", 7);
                    default -> RenderResult.failure("scripted", ErrorKind.RUNTIME_ERROR, "boom", 7);
                };
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
        }
    }

    private RenderEngine engine(ScriptedRenderer r, AtomicLong clock) {
        return RenderEngine.builder().cacheDir(dir.resolve("cache")).scratchDir(dir).renderer(r)
                .ticker(clock::get).build();
    }

    @Test
    void render_emptyOrBlankCode_isNoCodeWithoutCallingTheRenderer() {
        AtomicLong clock = new AtomicLong();
        ScriptedRenderer r = new ScriptedRenderer(clock, true);
        try (RenderEngine e = engine(r, clock)) {
            assertEquals(ErrorKind.NO_CODE, e.render(new RenderRequest("scripted", "", RenderSettings.MANIM_DEFAULTS)).errorKind());
            assertEquals(ErrorKind.NO_CODE, e.render(new RenderRequest("scripted", " \n\t", RenderSettings.MANIM_DEFAULTS)).errorKind());
            assertEquals(0, r.calls.get());
        }
    }

    @Test
    void render_nulOrOversizedCode_isBadInput() {
        AtomicLong clock = new AtomicLong();
        ScriptedRenderer r = new ScriptedRenderer(clock, true);
        try (RenderEngine e = RenderEngine.builder().noCache().scratchDir(dir).renderer(r).maxCodeBytes(100).build()) {
            RenderResult nul = e.render(new RenderRequest("scripted", "a\0b", RenderSettings.MANIM_DEFAULTS));
            assertEquals(ErrorKind.BAD_INPUT, nul.errorKind());
            RenderResult big = e.render(new RenderRequest("scripted", "x".repeat(101), RenderSettings.MANIM_DEFAULTS));
            assertEquals(ErrorKind.BAD_INPUT, big.errorKind());
            assertTrue(big.error().contains("101 bytes"), big.error());
            assertEquals(0, r.calls.get());
        }
    }

    @Test
    void render_unknownDomain_isUnavailableAndListsTheKnownOnes() {
        AtomicLong clock = new AtomicLong();
        try (RenderEngine e = engine(new ScriptedRenderer(clock, true), clock)) {
            RenderResult res = e.render(RenderRequest.of("povray", "x"));
            assertEquals(ErrorKind.RENDERER_UNAVAILABLE, res.errorKind());
            assertTrue(res.error().contains("manim") && res.error().contains("scripted"), res.error());
        }
    }

    @Test
    void render_unavailableRenderer_reportsItsReason() {
        AtomicLong clock = new AtomicLong();
        try (RenderEngine e = engine(new ScriptedRenderer(clock, false), clock)) {
            RenderResult res = e.render(RenderRequest.of("scripted", "ok"));
            assertEquals(ErrorKind.RENDERER_UNAVAILABLE, res.errorKind());
            assertEquals("scripted runtime missing", res.error());
        }
    }

    @Test
    void render_secondIdenticalRequest_isACacheHitWithoutRendering() {
        AtomicLong clock = new AtomicLong();
        ScriptedRenderer r = new ScriptedRenderer(clock, true);
        try (RenderEngine e = engine(r, clock)) {
            RenderResult first = e.render(RenderRequest.of("scripted", "ok"));
            RenderResult second = e.render(RenderRequest.of("scripted", "ok"));
            assertTrue(first.ok());
            assertFalse(first.cached());
            assertEquals(7, first.millis(), "timings come from the injected clock");
            assertTrue(second.cached());
            assertEquals(0, second.millis());
            assertEquals(0, second.renderMillis());
            assertEquals(first.frames(), second.frames());
            assertEquals(1, r.calls.get());
        }
    }

    @Test
    void render_manimModeOfAnotherDomain_isIgnored_oneRenderOneCacheEntry() {
        AtomicLong clock = new AtomicLong();
        ScriptedRenderer r = new ScriptedRenderer(clock, true);
        try (RenderEngine e = engine(r, clock)) {
            RenderSettings published = RenderSettings.defaultsFor("scripted");
            RenderResult first = e.render(new RenderRequest("scripted", "ok", published));
            RenderResult reward = e.render(new RenderRequest("scripted", "ok", published.withManimMode(ManimMode.REWARD)));
            assertTrue(first.ok() && reward.cached(), "only Manim has modes: the same render serves both");
            assertEquals(1, r.calls.get());
        }
    }

    @Test
    void render_programsDifferingOnlyInTrailingWhitespace_areOneRender() {
        // The reference as a suite holds it (no final newline) and the same program extracted from an answer
        // (CodeExtractor ends it with one newline) are the same program: one render, one cache entry.
        AtomicLong clock = new AtomicLong();
        ScriptedRenderer r = new ScriptedRenderer(clock, true);
        try (RenderEngine e = engine(r, clock)) {
            RenderResult reference = e.render(RenderRequest.of("scripted", "ok"));
            RenderResult extracted = e.render(RenderRequest.of("scripted", "ok\n"));
            RenderResult padded = e.render(RenderRequest.of("scripted", "ok \n\n\t\n"));
            assertTrue(reference.ok(), reference.error());
            assertTrue(extracted.cached() && padded.cached());
            assertEquals(reference.frames(), extracted.frames());
            assertEquals(1, r.calls.get());
            // Leading whitespace is part of the program (indentation, line numbers): a different key.
            e.render(RenderRequest.of("scripted", "\nok"));
            assertEquals(2, r.calls.get());
        }
    }

    @Test
    void render_deterministicFailuresAreCached_timeoutsAreNot() {
        AtomicLong clock = new AtomicLong();
        ScriptedRenderer r = new ScriptedRenderer(clock, true);
        try (RenderEngine e = engine(r, clock)) {
            e.render(RenderRequest.of("scripted", "raise"));
            assertTrue(e.render(RenderRequest.of("scripted", "raise")).cached());
            e.render(RenderRequest.of("scripted", "timeout"));
            RenderResult again = e.render(RenderRequest.of("scripted", "timeout"));
            assertFalse(again.cached());
            assertEquals(ErrorKind.TIMEOUT, again.errorKind());
            assertEquals(3, r.calls.get());
        }
    }

    @Test
    void render_cacheEntryRecordsItsProvenance() throws Exception {
        AtomicLong clock = new AtomicLong();
        try (RenderEngine e = engine(new ScriptedRenderer(clock, true), clock)) {
            RenderResult r = e.render(RenderRequest.of("scripted", "ok"));
            Path entry = r.media().getParent().resolve("entry.json");
            var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(entry.toFile());
            assertEquals("1.0", node.path("provenance").path("renderer_version").asText());
            assertEquals(854, node.path("provenance").path("settings").path("width").asInt());
            assertEquals(RenderEngine.sha256("ok\n".getBytes()), node.path("provenance").path("code_sha256").asText());
        }
    }

    @Test
    void build_reapsScratchOfDeadOwnersOnly() throws Exception {
        Path dead = Files.createDirectories(dir.resolve("renderloop-dead"));
        Files.writeString(dead.resolve("owner"), "2147483646 2020-01-01T00:00:00Z");
        Path reusedPid = Files.createDirectories(dir.resolve("renderloop-reused"));
        Files.writeString(reusedPid.resolve("owner"), ProcessHandle.current().pid() + " 2020-01-01T00:00:00Z");
        Path foreign = Files.createDirectories(dir.resolve("renderloop-foreign"));
        AtomicLong clock = new AtomicLong();
        try (RenderEngine e = engine(new ScriptedRenderer(clock, true), clock)) {
            assertFalse(Files.exists(dead), "owner process gone");
            assertFalse(Files.exists(reusedPid), "pid alive but started at another time: reused pid");
            assertTrue(Files.exists(foreign), "no owner file: not ours to delete");
            try (var live = Files.newDirectoryStream(dir, "renderloop-*")) {
                int count = 0;
                for (Path p : live) {
                    count++;
                }
                assertEquals(2, count, "the foreign one and this engine's own");
            }
        }
    }

    @Test
    void errorTail_keepsTheLastLines() {
        RenderResult r = RenderResult.failure("x", ErrorKind.RUNTIME_ERROR, "a\nb\nc\nd", 0);
        assertEquals("c\nd", r.errorTail(2));
        assertEquals("a\nb\nc\nd", r.errorTail(10));
    }
}
