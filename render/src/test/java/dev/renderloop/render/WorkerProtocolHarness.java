package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Python script that drives real matplotlib workers through the worker protocol (the ITs of the worker's
 * job processes: spares, finished jobs). The script is {@link #PRELUDE} followed by the test's own part, which ends by
 * printing one JSON line; it runs under Debian's python3 with the worker package written out.
 */
final class WorkerProtocolHarness {
    private WorkerProtocolHarness() {
    }

    /**
     * What every such script starts with: the package and jobs root from its arguments, job settings, a chart
     * program, {@code launch(env, extra)} (a worker with these environment variables set and those of the switches
     * under test cleared; returns the process and its ready message), {@code ask} (one request, one answer) and
     * {@code job} (a render in a new job directory: the answer, the frames' SHA-256 digests, the directory).
     */
    static final String PRELUDE = """
            import json, os, signal, subprocess, sys, time, hashlib
            pkg, root = sys.argv[1], sys.argv[2]
            SETTINGS = {"width": 320, "height": 240, "dpi": 100, "timeout_seconds": 60, "max_output_bytes": 64 << 20,
                        "cpu_seconds": 30, "memory_bytes": 2 << 30}
            PLOT = "import matplotlib.pyplot as plt\\nplt.bar(['a', 'b', 'c'], [3, 1, %d])\\nplt.title('t')\\n"
            names = iter(range(1000))

            def launch(env_set=None, extra=()):
                env = dict(os.environ)
                for switch in ("RENDERLOOP_JOB_SPARES", "RENDERLOOP_FINISHED_JOBS", "RENDERLOOP_READ_AHEAD", "RENDERLOOP_HEAP_RESERVE"):
                    env.pop(switch, None)
                env.update(env_set or {})
                p = subprocess.Popen([sys.executable, "-I", os.path.join(pkg, "renderloop_worker", "worker.py"),
                                      "--driver", "matplotlib", "--jobs-root", root] + list(extra),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
                return p, json.loads(p.stdout.readline())

            def ask(p, message):
                p.stdin.write(json.dumps(message) + "\\n")
                p.stdin.flush()
                return json.loads(p.stdout.readline())

            def job(p, code, settings=SETTINGS):
                d = os.path.join(root, "j%d" % next(names))
                os.makedirs(d)
                with open(os.path.join(d, "scene.py"), "w") as f:
                    f.write(code)
                r = ask(p, {"type": "render", "id": d, "job_dir": d, "settings": settings})
                frames = sorted(os.listdir(os.path.join(d, "out"))) if os.path.isdir(os.path.join(d, "out")) else []
                digest = [hashlib.sha256(open(os.path.join(d, "out", f), "rb").read()).hexdigest() for f in frames]
                return r, digest, d

            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Runs {@link #PRELUDE} + {@code script} in {@code dir} (the package and a jobs root made there) and returns the
     * JSON of its last line; null when matplotlib is not importable (the tests then skip, saying so). Fails the
     * calling test when the script fails otherwise or runs past 300 s.
     */
    static JsonNode run(String script, Path dir) throws Exception {
        WorkerPackage pkg = WorkerPackage.extract(dir.resolve("pkg"));
        Path root = Files.createDirectories(dir.resolve("scratch").resolve("jobs"));
        Process p = new ProcessBuilder(RenderEngine.defaultPython().toString(), "-I", "-c", PRELUDE + script,
                pkg.directory().getParent().toString(), root.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the harness did not finish");
        if (p.exitValue() != 0 && out.contains("No module named 'matplotlib'")) {
            return null;
        }
        assertEquals(0, p.exitValue(), out);
        return JSON.readTree(out.lines().reduce((a, b) -> b).orElse(""));
    }
}
