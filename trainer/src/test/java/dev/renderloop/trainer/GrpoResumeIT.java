package dev.renderloop.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GRPO run killed with SIGKILL resumes from its last checkpoint as if it had not stopped: a child JVM trains
 * {@link ColourToy} for 8 steps with a checkpoint every 3 and is killed after its step-6 checkpoint appears (and
 * before step 8); a second child resumes with {@code --resume}; every metric but the timings of every step equals
 * that of an uninterrupted run in a third child (CPU, one PyTorch thread), and so do the final adapters' bytes.
 */
class GrpoResumeIT {
  static final int STEPS = 8;
  @TempDir
  Path dir;

  static Process child(Path run, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Drenderloop.model.threads=1", "-Dai.djl.offline=true",
        "-DDJL_CACHE_DIR=" + System.getProperty("DJL_CACHE_DIR", "target/djl-cache"),
        "-DENGINE_CACHE_DIR=" + System.getProperty("ENGINE_CACHE_DIR", "target/djl-cache"),
        "-cp", System.getProperty("java.class.path"), ColourToy.class.getName(),
        run.toString(), String.valueOf(STEPS), "3"));
    cmd.addAll(List.of(extra));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(run.resolveSibling(run.getFileName() + ".log").toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    Files.createDirectories(run);
    return pb.start();
  }

  @Test
  void killedRunResumesWithIdenticalMetrics() throws Exception {
    Path whole = dir.resolve("whole");
    Process p = child(whole);
    assertTrue(p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0, "uninterrupted run failed: "
        + Files.readString(dir.resolve("whole.log")));

    Path killed = dir.resolve("killed");
    Process k = child(killed);
    Path checkpoint = killed.resolve("checkpoints/step-000006/state.json");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (!Files.exists(checkpoint) && k.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(k.isAlive(), "the child finished before it could be killed: " + Files.readString(dir.resolve("killed.log")));
    k.destroyForcibly();  // SIGKILL on Linux
    k.waitFor();
    int linesAtKill = Files.readAllLines(killed.resolve("metrics.jsonl")).size();
    assertTrue(linesAtKill >= 6 && linesAtKill < STEPS, "killed after " + linesAtKill + " steps");
    assertTrue(!Files.exists(killed.resolve("adapter")), "the killed run did not finish");

    Process r = child(killed, "--resume");
    assertTrue(r.waitFor(10, TimeUnit.MINUTES) && r.exitValue() == 0, "resumed run failed: "
        + Files.readString(dir.resolve("killed.log")));
    assertTrue(Files.readString(dir.resolve("killed.log")).contains("resuming at step 6"));

    List<JsonNode> a = metrics(whole);
    List<JsonNode> b = metrics(killed);
    assertEquals(STEPS, a.size());
    assertEquals(a, b, "metrics (timings aside) of the resumed run equal the uninterrupted run's");
    assertTrue(java.util.Arrays.equals(
        Files.readAllBytes(whole.resolve("adapter/adapter_model.safetensors")),
        Files.readAllBytes(killed.resolve("adapter/adapter_model.safetensors"))), "final adapters are identical");
  }

  static List<JsonNode> metrics(Path run) throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      ObjectNode n = (ObjectNode) json.readTree(line);
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        if (it.next().startsWith("time_")) {
          it.remove();
        }
      }
      out.add(n);
    }
    return out;
  }

}
