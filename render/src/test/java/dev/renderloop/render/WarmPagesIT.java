package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * warm_pages (the worker's pages a typical job writes, copied into each job process up front) on the
 * real kernel with Debian's python3: what it learns, that a populated page no longer faults, that a
 * failing sample or an old kernel turns it off with the reason, and that a worker reports it. Frames
 * stay byte-identical to a fresh interpreter's with it on (MatplotlibRendererIT).
 */
class WarmPagesIT {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Linux 5.14 added MADV_POPULATE_WRITE. */
    static boolean kernelHasPopulate() throws IOException {
        String[] release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim().split("[.-]");
        int major = Integer.parseInt(release[0]);
        int minor = Integer.parseInt(release[1]);
        return major > 5 || (major == 5 && minor >= 14);
    }

    /** Where warm_pages can learn: the advice exists and /proc/self/pagemap is readable (some sandboxes hide it). */
    static boolean kernelPopulates() throws IOException {
        try (var in = Files.newInputStream(Path.of("/proc/self/pagemap"))) {
            return in.readNBytes(8).length == 8 && kernelHasPopulate();
        } catch (IOException e) {
            return false;
        }
    }

    static JsonNode runPython(Path dir, String program) throws Exception {
        WorkerPackage pkg = WorkerPackage.extract(dir.resolve("pkg"));
        Process p = new ProcessBuilder(RenderEngine.defaultPython().toString(), "-I", "-c",
                "import sys\nsys.path.insert(0, sys.argv[1])\n" + program, pkg.directory().getParent().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python did not finish");
        assertEquals(0, p.exitValue(), out);
        return JSON.readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
    }

    @Test
    void learnsThePagesASampleWrites_andAPopulatedChildWritesThemWithoutFaults(@TempDir Path dir) throws Exception {
        assumeTrue(kernelPopulates(), "this kernel has no MADV_POPULATE_WRITE (Linux 5.14+) or hides /proc/self/pagemap");
        // A 4 MiB buffer the parent filled (so its pages are the parent's, shared after fork), of which
        // the sample writes 31 blocks of 64 KiB, none at either end (a learned page of a neighbouring
        // mapping could join the range): the learned set must hold those pages and no other page of
        // the buffer, and a child that populated first must write them without page faults.
        JsonNode r = runPython(dir, """
                import json, mmap, os, resource
                from renderloop_worker.warm_pages import WarmPages, PAGE
                buffer = mmap.mmap(-1, 4 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
                buffer.write(b"x" * len(buffer))
                import ctypes
                base = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
                blocks = [(off, off + (64 << 10)) for off in range(64 << 10, (4 << 20) - (128 << 10), 128 << 10)]
                def sample():
                    for start, end in blocks:
                        for off in range(start, end, PAGE):
                            buffer[off] = 1
                pages = WarmPages.learn(sample)
                covered = sum(e - s for s, e in pages.ranges)
                inside = all(any(base + s <= a and b <= base + e for s, e in blocks) for a, b in pages.ranges
                             if base <= a < base + len(buffer))
                learned_in_buffer = sum(e - s for s, e in pages.ranges if base <= s < base + len(buffer))
                def faults_writing(populate):
                    r, w = os.pipe()
                    pid = os.fork()
                    if pid == 0:
                        if populate:
                            pages.populate()
                        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                        sample()
                        os.write(w, str(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before).encode())
                        os._exit(0)
                    os.close(w)
                    n = int(os.read(r, 100))
                    os.waitpid(pid, 0)
                    return n
                print(json.dumps({"status": pages.status, "learned_in_buffer": learned_in_buffer,
                                  "only_written_blocks": inside, "covered": covered,
                                  "faults_plain": faults_writing(False), "faults_populated": faults_writing(True)}))
                """);
        assertTrue(r.path("status").asText().startsWith("on ("), r.toString());
        assertEquals(31 * (64 << 10), r.path("learned_in_buffer").asInt(), "the written blocks, all of them: " + r);
        assertTrue(r.path("only_written_blocks").asBoolean(), "no page the sample left alone: " + r);
        assertTrue(r.path("faults_plain").asInt() >= 450, "writing 496 shared pages faults once a page: " + r);
        assertTrue(r.path("faults_populated").asInt() < 50, "after populate() those writes do not fault: " + r);
    }

    @Test
    void aHugeReservedMapping_isNotRead(@TempDir Path dir) throws Exception {
        assumeTrue(kernelPopulates(), "this kernel has no MADV_POPULATE_WRITE (Linux 5.14+) or hides /proc/self/pagemap");
        // 256 GiB of address space reserved, as some allocators do, of which the sample writes one page:
        // reading its pagemap would be 512 MiB and 64 million entries (~10 s) at every worker start.
        JsonNode r = runPython(dir, """
                import ctypes, json, mmap, time
                from renderloop_worker.warm_pages import WarmPages
                reserved = mmap.mmap(-1, 256 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x4000)  # MAP_NORESERVE
                base = ctypes.addressof(ctypes.c_char.from_buffer(reserved))
                small = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
                small.write(b"x" * len(small))
                def sample():
                    small[0] = 1
                    reserved[4096] = 1
                started = time.monotonic()
                pages = WarmPages.learn(sample)
                inside = [r for r in pages.ranges if base <= r[0] < base + (256 << 30)]
                print(json.dumps({"status": pages.status, "seconds": time.monotonic() - started,
                                  "learned_in_reserved": len(inside)}))
                """);
        assertTrue(r.path("status").asText().startsWith("on ("), r.toString());
        assertEquals(0, r.path("learned_in_reserved").asInt(), "the reservation is skipped: " + r);
        assertTrue(r.path("seconds").asDouble() < 5, "learned in " + r.path("seconds").asDouble() + " s");
    }

    @Test
    void aSampleThatFails_turnsItOffWithTheReason(@TempDir Path dir) throws Exception {
        JsonNode r = runPython(dir, """
                import json
                from renderloop_worker.warm_pages import WarmPages
                def sample():
                    raise RuntimeError("no figure today")
                pages = WarmPages.learn(sample)
                pages.populate()
                print(json.dumps({"status": pages.status, "ranges": len(pages.ranges)}))
                """);
        if (kernelHasPopulate()) {
            assertEquals("off (the sample failed: RuntimeError: no figure today)", r.path("status").asText());
        } else {
            assertTrue(r.path("status").asText().startsWith("off (madvise(MADV_POPULATE_WRITE) refused"), r.toString());
        }
        assertEquals(0, r.path("ranges").asInt());
    }

    @Test
    void aSampleThatHangs_isKilledAndTurnsItOff(@TempDir Path dir) throws Exception {
        JsonNode r = runPython(dir, """
                import json, os, time
                from renderloop_worker import warm_pages
                def sample():
                    time.sleep(3600)
                started = time.monotonic()
                status = warm_pages.in_forked_child(sample, timeout=1)
                try:
                    os.waitpid(-1, os.WNOHANG)
                    left = True
                except ChildProcessError:
                    left = False
                print(json.dumps({"status": status.decode(), "seconds": time.monotonic() - started, "child_left": left}))
                """);
        assertEquals("the sample did not finish within 1 s", r.path("status").asText());
        assertTrue(r.path("seconds").asDouble() < 10, r.toString());
        assertFalse(r.path("child_left").asBoolean(), "the hung child is killed and reaped: " + r);
    }

    @Test
    void aMatplotlibWorker_reportsItInItsVersions() throws Exception {
        try (RenderEngine engine = TestEngines.plain(1)) {
            assumeTrue(engine.availability("matplotlib").available(), engine.availability("matplotlib").detail());
            RenderResult result = engine.render(RenderRequest.of("matplotlib",
                    "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\n"));
            assertTrue(result.ok(), result.error());
            String status = engine.idleWorkerReady("matplotlib").path("versions").path("warm_pages").asText();
            if (kernelPopulates()) {
                assertTrue(status.matches("on \\(\\d+ pages in \\d+ ranges; heap reserve \\d+ KiB; \\d+ resident pages for spares to read\\)"), status);
            } else {
                assertTrue(status.startsWith("off ("), status);
            }
        }
    }
}
