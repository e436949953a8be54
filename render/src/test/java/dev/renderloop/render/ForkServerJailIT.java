package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tikz fork servers' jail (fork_server.c), seen from inside: a fork server preloaded into Python
 * serves one jailed request whose program reports what it can see and do (src/test/resources/fork-jail).
 * TeX cannot make system calls, so {@link TikzJobIsolationIT} cannot check these; this test can.
 */
class ForkServerJailIT {

    @Test
    void aJailedCopy_isPid1_withoutCapabilities_ptraceOrOtherJobs_andWritesOnlyItsTmpfs(@TempDir Path dir)
            throws IOException, InterruptedException, URISyntaxException {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "needs " + python);
        WorkerPackage pkg = WorkerPackage.extract(dir.resolve("python"));
        Path scratch = Files.createDirectories(dir.resolve("scratch"));
        Path probe = Path.of(Objects.requireNonNull(getClass().getResource("/fork-jail/probe.py")).toURI());
        Process p = new ProcessBuilder(List.of(python.toString(), "-I", "-B", probe.toString(),
                pkg.directory().getParent().toString(), scratch.toString())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        JsonNode r = new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElse("{}"));
        Assumptions.assumeFalse(r.has("skip"), "no jail here: " + r.path("skip").asText());

        assertTrue(r.path("ready").asBoolean(), out);
        assertEquals(0, r.path("answer").path(0).asInt(-1), "the program's wait status: " + out);
        JsonNode facts = r.path("facts");
        assertEquals(1, facts.path("pid").asInt(), "pid 1 of its own PID namespace: " + out);
        assertEquals(3, facts.path("kill_server_errno").asInt(), "the server cannot be named (ESRCH): " + out);
        assertFalse(facts.path("server_in_proc").asBoolean(), "its own /proc: " + out);
        assertEquals(1, facts.path("ptrace_errno").asInt(), "seccomp fails ptrace with EPERM: " + out);
        assertEquals("0000000000000000", facts.path("cap_eff").asText(), out);
        assertEquals("[\".shm\",\".tmp\",\".var-tmp\",\"job-1\"]", facts.path("jobs_root").toString(),
                "of the jobs root only its own directory and its /tmp, /var/tmp, /dev/shm: " + out);
        assertEquals("hello", facts.path("input").asText(), "the job directory's files are copied in");
        assertEquals("Read-only file system", facts.path("scratch_write").asText(), out);
        assertEquals("ok", facts.path("tmp_write").asText(), "its own /tmp is writable: " + out);
        assertFalse(r.path("host_tmp_planted").asBoolean(), "its /tmp is not the host's");
        assertFalse(r.path("scratch_planted").asBoolean());
        assertEquals("made", r.path("made").asText(), "a file it made is copied back: " + out);
        assertEquals("[\"facts.json\",\"input.txt\",\"made.txt\"]", r.path("files").toString(), out);
    }
}
