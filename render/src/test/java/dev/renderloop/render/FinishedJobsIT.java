package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finished job processes kept stopped until the worker is idle (renderloop_worker/spares.py, FinishedJobs) in a
 * real matplotlib worker with Debian's python3, driven through the worker protocol: the frame is the one a job that
 * exits at once gives; only a job process alone in its PID namespace is kept (one that left a process is ended at
 * once, and so is that process); a program that writes the end-of-job message itself only ends its own job; the
 * count and memory bounds hold; the parent-death signal cannot be unset, and kept jobs die with their worker.
 */
class FinishedJobsIT {
    /** The harness after {@link WorkerProtocolHarness#PRELUDE}; prints one JSON line. */
    static final String HARNESS = """
            def start(finished=True):
                return launch({} if finished else {"RENDERLOOP_FINISHED_JOBS": "off"})

            def finished(p):
                return ask(p, {"type": "ping"})["finished_jobs"]

            def descendants(pid):  # {pid: (state, name)} of every process under pid
                procs = {}
                for entry in os.listdir("/proc"):
                    try:
                        with open("/proc/%s/stat" % entry) as f:
                            head, tail = f.read().rsplit(")", 1)
                        fields = tail.split()
                        procs[int(entry)] = (int(fields[1]), fields[0], head.split("(", 1)[1])
                    except (OSError, ValueError, IndexError):
                        pass
                found, stack = {}, [pid]
                while stack:
                    parent = stack.pop()
                    for k, (ppid, state, name) in procs.items():
                        if ppid == parent:
                            found[k] = (state, name)
                            stack.append(k)
                return found

            def stopped(pid):
                return sorted(k for k, (state, _) in descendants(pid).items() if state == "T")

            def running(pid):  # processes under the worker that are neither spares nor stopped
                return sorted(k for k, (state, name) in descendants(pid).items()
                              if state != "T" and name != "rl-job-spare")

            def settle(p, seconds=10):  # a ping is a request: the worker is idle only 0.25 s after one
                deadline = time.monotonic() + seconds
                while finished(p)["waiting"] and time.monotonic() < deadline:
                    time.sleep(0.6)

            out = {}
            off, off_ready = start(finished=False)
            r, plain_digest, _ = job(off, PLOT % 2)
            out["off"] = {"status": r["status"], "frames": len(plain_digest), "finished": finished(off),
                          "stopped": stopped(off_ready["pid"])}
            off.stdin.write('{"type": "shutdown"}\\n'); off.stdin.flush(); off.wait(30)

            p, ready = start()
            out["ready"] = ready
            worker = ready["pid"]
            r, digest, _ = job(p, PLOT % 2)
            out["kept"] = {"status": r["status"], "equal": digest == plain_digest and len(digest) == 1,
                           "finished": finished(p), "stopped": len(stopped(worker))}
            time.sleep(0.05)
            out["kept"]["still_stopped"] = len(stopped(worker))
            settle(p)
            out["after_idle"] = {"finished": finished(p), "stopped": len(stopped(worker))}

            # A job whose program leaves a process behind: not kept; that process ends with it.
            lingering = "import os, time\\nif os.fork() == 0:\\n    time.sleep(120)\\n    os._exit(0)\\n" + PLOT % 3
            r, digest, _ = job(p, lingering)
            out["lingering"] = {"status": r["status"], "frames": len(digest), "finished": finished(p),
                                "running": running(worker)}
            settle(p)

            # A program that writes the end-of-job message on every descriptor it has, then draws.
            early = ("import os, time\\nfor fd in range(3, 256):\\n    try:\\n        os.write(fd, b'finished')\\n"
                     "    except OSError:\\n        pass\\ntime.sleep(0.5)\\n" + PLOT % 2)
            r, digest, _ = job(p, early)
            out["early"] = {"status": r["status"], "error_kind": r.get("error_kind"), "error": r.get("error"),
                            "millis": r["millis"]}
            r, digest, _ = job(p, PLOT % 2)
            out["after_early"] = {"status": r["status"], "equal": digest == plain_digest}
            settle(p)

            # A program that keeps writing on every descriptor it has: the worker stops reading the pipe.
            noisy = ("import os\\nfor fd in range(3, 256):\\n    try:\\n        for _ in range(64):\\n"
                     "            os.write(fd, b'x' * 4096)\\n    except OSError:\\n        pass\\n" + PLOT % 2)
            r, digest, _ = job(p, noisy)
            out["noisy"] = {"status": r["status"], "equal": digest == plain_digest, "finished": finished(p)}
            settle(p)

            # The parent-death signal stays set: prctl(PR_SET_PDEATHSIG, 0) is refused.
            unset = ("import ctypes\\nlibc = ctypes.CDLL(None, use_errno=True)\\n"
                     "print('prctl', libc.prctl(1, 0, 0, 0, 0), ctypes.get_errno())\\n" + PLOT % 2)
            r, digest, d = job(p, unset)
            out["unset"] = {"status": r["status"], "log": open(os.path.join(d, "log.txt")).read()}
            settle(p)

            # Back to back (never idle): at most 8 kept; a job that holds ~300 MiB more than the parent is not kept.
            for k in range(10):
                job(p, PLOT % (k % 4))
            out["bounded"] = {"finished": finished(p), "stopped": len(stopped(worker))}
            settle(p)
            big = "import numpy\\nkept = numpy.ones((300 << 20) // 8)\\n" + PLOT % 2
            r, digest, _ = job(p, big)
            out["big"] = {"status": r["status"], "finished": finished(p)}
            settle(p)

            # Kept jobs die with their worker (SIGKILL: no shutdown to end them).
            job(p, PLOT % 1)
            job(p, PLOT % 2)
            kept = stopped(worker)
            os.kill(worker, signal.SIGKILL)
            p.wait(30)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(os.path.exists("/proc/%d" % k) for k in kept):
                time.sleep(0.1)
            out["worker_killed"] = {"kept": len(kept), "left": [k for k in kept if os.path.exists("/proc/%d" % k)]}
            print(json.dumps(out))
            """;

    static JsonNode result;

    @BeforeAll
    static void run(@TempDir Path dir) throws Exception {
        result = WorkerProtocolHarness.run(HARNESS, dir);
    }

    static void assumeClonedJobs() {
        assumeTrue(result != null, "matplotlib is not importable by " + RenderEngine.defaultPython());
        JsonNode ready = result.path("ready");
        assumeTrue(ready.path("job_isolation").asBoolean() && "clone".equals(ready.path("job_spawn").asText()),
                "finished jobs are kept only where a job is one clone() into its own namespaces: " + ready);
    }

    @Test
    void aFinishedJob_isKeptStoppedUntilTheWorkerIsIdle_andGivesTheFrameOfAJobThatExits() {
        assumeClonedJobs();
        JsonNode off = result.path("off");
        assertEquals("ok", off.path("status").asText(), result.toString());
        assertEquals(0, off.path("finished").path("waiting").asInt(), "switched off, none is kept: " + off);
        assertEquals(0, off.path("stopped").size(), off.toString());
        JsonNode kept = result.path("kept");
        assertEquals("ok", kept.path("status").asText(), result.toString());
        assertTrue(kept.path("equal").asBoolean(), "the same PNG bytes as a job that exits at once: " + result);
        assertEquals(1, kept.path("finished").path("waiting").asInt(), kept.toString());
        assertEquals(1, kept.path("stopped").asInt(), "a stopped child of the worker: " + kept);
        assertEquals(1, kept.path("still_stopped").asInt(), "nothing wakes it: " + kept);
        JsonNode idle = result.path("after_idle");
        assertEquals(0, idle.path("finished").path("waiting").asInt(), idle.toString());
        assertTrue(idle.path("finished").path("ended").asInt() >= 1, idle.toString());
        assertEquals(0, idle.path("stopped").asInt(), "ended once the worker was idle: " + idle);
    }

    @Test
    void aJobThatLeftAProcess_isNotKept_andThatProcessEnds() {
        assumeClonedJobs();
        JsonNode lingering = result.path("lingering");
        assertEquals("ok", lingering.path("status").asText(), lingering.toString());
        assertEquals(1, lingering.path("frames").asInt(), lingering.toString());
        assertEquals(0, lingering.path("finished").path("waiting").asInt(), "not alone, so not kept: " + lingering);
        assertEquals(0, lingering.path("running").size(), "its PID namespace ended with it: " + lingering);
    }

    @Test
    void aProgramThatSaysItFinished_endsOnlyItsOwnJob() {
        assumeClonedJobs();
        JsonNode early = result.path("early");
        assertEquals("error", early.path("status").asText(), early.toString());
        assertEquals("runtime_error", early.path("error_kind").asText(), early.toString());
        assertTrue(early.path("error").asText().contains("end-of-job message"), early.toString());
        JsonNode next = result.path("after_early");
        assertEquals("ok", next.path("status").asText(), next.toString());
        assertTrue(next.path("equal").asBoolean(), "the next job renders its own program: " + next);
    }

    @Test
    void aProgramThatFloodsThePipe_losesIt_andItsJobEndsAsOneThatExits() {
        assumeClonedJobs();
        JsonNode noisy = result.path("noisy");
        assertEquals("ok", noisy.path("status").asText(), noisy.toString());
        assertTrue(noisy.path("equal").asBoolean(), noisy.toString());
        assertEquals(0, noisy.path("finished").path("waiting").asInt(), "not kept: " + noisy);
    }

    @Test
    void keptJobsAreBoundedInCountAndMemory() {
        assumeClonedJobs();
        JsonNode bounded = result.path("bounded");
        assertEquals(8, bounded.path("finished").path("waiting").asInt(), bounded.toString());
        assertEquals(8, bounded.path("stopped").asInt(), bounded.toString());
        JsonNode big = result.path("big");
        assertEquals("ok", big.path("status").asText(), big.toString());
        assertEquals(0, big.path("finished").path("waiting").asInt(), "300 MiB over the bound, ended at once: " + big);
    }

    @Test
    void theParentDeathSignalStaysSet_soKeptJobsDieWithTheirWorker() {
        assumeClonedJobs();
        JsonNode unset = result.path("unset");
        assertEquals("ok", unset.path("status").asText(), unset.toString());
        assertTrue(unset.path("log").asText().contains("prctl -1 1"), "refused with EPERM: " + unset);
        JsonNode killed = result.path("worker_killed");
        assertEquals(2, killed.path("kept").asInt(), killed.toString());
        assertEquals(0, killed.path("left").size(), "no kept job outlives a killed worker: " + killed);
        assertFalse(result.path("ready").path("pid").isMissingNode());
    }
}
