package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spare job processes (renderloop_worker/spares.py) in a real matplotlib worker with Debian's python3, driven
 * through the worker protocol: a job that finds a spare gives the same frame, byte for byte, as with spares off; a
 * job in a spare can hand no other spare a program (their sockets are closed in it) and sees no other job's
 * directory; a job whose writable space differs starts as before; no spare outlives the worker.
 */
class JobSparesIT {
    /** The harness after {@link WorkerProtocolHarness#PRELUDE}: starts workers, sends jobs, waits until the spares are ready, prints one JSON line. */
    static final String HARNESS = """
            def start(spares=None, extra=()):
                return launch({} if spares is None else {"RENDERLOOP_JOB_SPARES": str(spares)}, extra)

            def wait_spares(p, n):
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    s = ask(p, {"type": "ping"})["spares"]
                    if s["ready"] >= n and s["read_ahead"] >= n:
                        return s
                    time.sleep(0.3)
                return ask(p, {"type": "ping"})["spares"]

            def children(pid):
                found = []
                for entry in os.listdir("/proc"):
                    try:
                        with open("/proc/%s/stat" % entry) as f:
                            if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                                found.append(int(entry))
                    except (OSError, ValueError, IndexError):
                        pass
                return found

            out = {}
            capped, capped_ready = start(extra=("--max-spares", "2"))
            out["capped_spares"] = capped_ready.get("job_spares")
            capped.stdin.write('{"type": "shutdown"}\\n'); capped.stdin.flush(); capped.wait(30)
            off, off_ready = start(0)
            out["off_ready"] = off_ready
            plain, _, _ = job(off, PLOT % 2)
            plain2, plain_digest, _ = job(off, PLOT % 2)
            out["off_spare"] = plain["spare"] or plain2["spare"]
            off.stdin.write('{"type": "shutdown"}\\n'); off.stdin.flush(); off.wait(30)

            quiet, _ = launch({"RENDERLOOP_READ_AHEAD": "off"})
            job(quiet, PLOT % 1)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and ask(quiet, {"type": "ping"})["spares"]["ready"] < 4:
                time.sleep(0.3)
            time.sleep(1.0)  # longer than reading ahead takes when it is on
            quiet_status = ask(quiet, {"type": "ping"})["spares"]
            q, quiet_digest, _ = job(quiet, PLOT % 2)
            out["read_ahead_off"] = {"spares": quiet_status, "spare": q["spare"],
                                     "equal": quiet_digest == plain_digest and len(quiet_digest) == 1}
            quiet.stdin.write('{"type": "shutdown"}\\n'); quiet.stdin.flush(); quiet.wait(30)

            # The heap a spare reserves (warm_pages.reserve_heap): fresh heap memory a job's program takes costs it no
            # page faults, counted by the program itself; with RENDERLOOP_HEAP_RESERVE=off it does. As the launcher runs
            # workers: with its malloc settings.
            probe = '''
            import resource, numpy
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            blocks = [numpy.ones(1 << 20, numpy.uint8) for _ in range(2)]
            with open("faults.txt", "w") as f:
                f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before))
            import matplotlib.pyplot as plt
            plt.bar(['a', 'b', 'c'], [3, 1, 2])
            plt.title('t')
            '''
            out["heap"] = {}
            for reserve in ("on", "off"):
                w, w_ready = launch({"GLIBC_TUNABLES": "@TUNABLES@", "RENDERLOOP_HEAP_RESERVE": reserve})
                job(w, PLOT % 1)
                wait_spares(w, 4)
                r, d_, hd = job(w, probe)
                out["heap"][reserve] = {"status": w_ready["versions"]["warm_pages"], "spare": r["spare"], "result": r["status"],
                                        "faults": int(open(os.path.join(hd, "faults.txt")).read()), "equal": d_ == plain_digest}
                w.stdin.write('{"type": "shutdown"}\\n'); w.stdin.flush(); w.wait(30)

            p, ready = start()
            out["ready"] = ready
            first, _, _ = job(p, PLOT % 1)  # the first job sets the size the spares are made for
            out["first_spare"] = first["spare"]
            out["spares_before"] = wait_spares(p, 4)
            r, digest, _ = job(p, PLOT % 2)
            out["same"] = {"spare": r["spare"], "status": r["status"], "equal": digest == plain_digest and len(digest) == 1}
            wait_spares(p, 4)
            hostile = '''
            import json, os, socket
            found = {"sent": [], "fds": sorted(int(x) for x in os.listdir("/proc/self/fd")), "pids": sorted(x for x in os.listdir("/proc") if x.isdigit()),
                     "root": sorted(os.listdir(os.path.dirname(os.getcwd())))}
            for fd in range(3, 1024):
                try:
                    s = socket.socket(fileno=os.dup(fd))
                except OSError:
                    continue
                for message in (b"touch", json.dumps({"name": "%s", "settings": %s}).encode()):
                    try:
                        s.send(message)
                        found["sent"].append(fd)
                    except OSError:
                        pass
            with open("found.json", "w") as f:
                json.dump(found, f)
            import matplotlib.pyplot as plt
            plt.plot([1, 2])
            '''
            evil_dir = os.path.join(root, "evil")
            os.makedirs(evil_dir)
            with open(os.path.join(evil_dir, "scene.py"), "w") as f:
                f.write("import matplotlib.pyplot as plt\\nplt.title('pwned')\\nplt.plot([0, 9])\\n")
            h, _, hd = job(p, hostile % ("evil", json.dumps(SETTINGS)))
            out["hostile"] = {"spare": h["spare"], "status": h["status"], "error": h.get("error"), "dir": os.path.basename(hd),
                              "found": json.load(open(os.path.join(hd, "found.json")))}
            victims = [job(p, PLOT % 2) for _ in range(3)]  # the other spares, each its own program
            out["victims"] = [{"spare": v["spare"], "equal": d == plain_digest} for v, d, _ in victims]
            wait_spares(p, 4)
            bigger = dict(SETTINGS, max_output_bytes=80 << 20)
            b1, b1_digest, _ = job(p, PLOT % 2, bigger)
            out["other_size"] = {"spare": b1["spare"], "equal": b1_digest == plain_digest}
            out["spares_after_size"] = wait_spares(p, 4)
            b2, b2_digest, _ = job(p, PLOT % 2, bigger)
            out["same_size_again"] = {"spare": b2["spare"], "equal": b2_digest == plain_digest}
            wait_spares(p, 4)
            kids = children(ready["pid"])
            out["kids_before_shutdown"] = len(kids)
            p.stdin.write('{"type": "shutdown"}\\n'); p.stdin.flush()
            out["exit"] = p.wait(30)
            time.sleep(0.5)
            out["kids_left"] = [k for k in kids if os.path.exists("/proc/%d" % k)]
            print(json.dumps(out))
            """.replace("@TUNABLES@", PythonWorker.MALLOC_TUNABLES);

    static JsonNode result;

    @BeforeAll
    static void run(@TempDir Path dir) throws Exception {
        result = WorkerProtocolHarness.run(HARNESS, dir);
    }

    static void assumeSpares() {
        assumeTrue(result != null, "matplotlib is not importable by " + RenderEngine.defaultPython());
        JsonNode ready = result.path("ready");
        assumeTrue(ready.path("job_isolation").asBoolean() && "clone".equals(ready.path("job_spawn").asText()),
                "spares need per-job namespaces made by clone() here: " + ready);
    }

    @Test
    void aJobInASpare_givesTheFrameOfAJobWithoutSpares() {
        assumeSpares();
        assertEquals(4, result.path("ready").path("job_spares").asInt(), result.toString());
        assertFalse(result.path("first_spare").asBoolean(), "no spare before the first job says its size");
        assertEquals(4, result.path("spares_before").path("ready").asInt(), result.toString());
        assertEquals(4, result.path("spares_before").path("read_ahead").asInt(), "each spare read ahead: " + result);
        assertTrue(result.path("spares_before").path("read_ahead_on").asBoolean(), result.toString());
        JsonNode same = result.path("same");
        assertTrue(same.path("spare").asBoolean(), result.toString());
        assertEquals("ok", same.path("status").asText());
        assertTrue(same.path("equal").asBoolean(), "the same PNG bytes as with spares off: " + result);
    }

    @Test
    void withReadingAheadOff_theSparesAreMadeButReadNothing_andTheFrameIsTheSame() {
        assumeSpares();
        JsonNode off = result.path("read_ahead_off");
        assertEquals(4, off.path("spares").path("ready").asInt(), "the spares are still made: " + off);
        assertFalse(off.path("spares").path("read_ahead_on").asBoolean(), off.toString());
        assertEquals(0, off.path("spares").path("read_ahead").asInt(), "no spare read ahead: " + off);
        assertTrue(off.path("spare").asBoolean(), "the job still started in a spare: " + off);
        assertTrue(off.path("equal").asBoolean(), "the same PNG bytes as with spares off: " + off);
    }

    @Test
    void aSpareReservesTheHeapTheSampleGrew_soAJobsFreshMemoryCostsNoFaults() {
        assumeSpares();
        JsonNode on = result.path("heap").path("on");
        JsonNode off = result.path("heap").path("off");
        assertTrue(on.path("status").asText().matches(".*heap reserve [1-9][0-9]* KiB.*"), on.toString());
        for (JsonNode r : List.of(on, off)) {
            assertTrue(r.path("spare").asBoolean(), "the probe ran in a spare: " + r);
            assertEquals("ok", r.path("result").asText(), r.toString());
            assertTrue(r.path("equal").asBoolean(), "the same PNG bytes as with spares off: " + r);
        }
        // 2 MiB of fresh memory is 512 pages. Taken from a ~1.8-2 MiB reserve, 0-60 faults were measured; without it,
        // 320 or more (the parent's free heap covers a quarter of a MiB or so).
        assertTrue(on.path("faults").asInt() < 128, "reserved: " + on);
        assertTrue(off.path("faults").asInt() > 256, "not reserved: " + off);
    }

    @Test
    void withSparesOff_noJobRunsInOne() {
        assumeSpares();
        assertEquals(0, result.path("off_ready").path("job_spares").asInt());
        assertFalse(result.path("off_spare").asBoolean());
    }

    @Test
    void aHostileJobInASpare_reachesNoOtherSpareNorJob() {
        assumeSpares();
        JsonNode hostile = result.path("hostile");
        assertTrue(hostile.path("spare").asBoolean(), result.toString());
        assertEquals("ok", hostile.path("status").asText(), hostile.toString());
        JsonNode found = hostile.path("found");
        assertEquals(0, found.path("sent").size(), "no descriptor of the job reaches a spare: " + found);
        assertEquals("[\"1\"]", found.path("pids").toString(), "its own PID namespace: " + found);
        // The jobs root holds its own directory and its /tmp, /var/tmp and /dev/shm.
        assertTrue(hostile.path("dir").asText().matches("j[0-9]+"), hostile.toString());
        assertEquals("[\".shm\",\".tmp\",\".var-tmp\",\"" + hostile.path("dir").asText() + "\"]", found.path("root").toString(),
                "no other job's directory is visible: " + found);
        for (JsonNode victim : result.path("victims")) {
            assertTrue(victim.path("spare").asBoolean(), result.toString());
            assertTrue(victim.path("equal").asBoolean(), "a later job rendered its own program: " + result);
        }
    }

    @Test
    void aJobOfAnotherSize_startsAsBefore_andSparesFollowIt() {
        assumeSpares();
        assertFalse(result.path("other_size").path("spare").asBoolean(), result.toString());
        assertTrue(result.path("other_size").path("equal").asBoolean(), result.toString());
        assertEquals(4, result.path("spares_after_size").path("ready").asInt(), result.toString());
        assertTrue(result.path("same_size_again").path("spare").asBoolean(), result.toString());
        assertTrue(result.path("same_size_again").path("equal").asBoolean(), result.toString());
    }

    @Test
    void theLaunchersBudget_capsTheDriversDefault() {
        assumeSpares();
        assertEquals(2, result.path("capped_spares").asInt(), result.toString());
        assertEquals(8, PythonWorker.maxSparesPerWorker(2));
        assertEquals(4, PythonWorker.maxSparesPerWorker(4));
        assertEquals(1, PythonWorker.maxSparesPerWorker(16));
        assertEquals(1, PythonWorker.maxSparesPerWorker(64));
    }

    @Test
    void noSpareOutlivesTheWorker() {
        assumeSpares();
        assertEquals(4, result.path("kids_before_shutdown").asInt(), result.toString());
        assertEquals(0, result.path("exit").asInt());
        assertEquals(0, result.path("kids_left").size(), result.toString());
    }
}
