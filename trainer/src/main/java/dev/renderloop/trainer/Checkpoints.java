package dev.renderloop.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.renderloop.model.LoraAdapter;
import dev.renderloop.model.ModelFormatException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A run's checkpoints: {@code RUN/checkpoints/step-NNNNNN/} holding {@code adapter/} (PEFT format),
 * {@code optimizer.bin} (AdamW's step and moments) and {@code state.json} (completed steps, optimizer steps, data
 * position, seed). A checkpoint is written into a {@code .tmp} directory and renamed, so a run killed while writing
 * leaves the previous one as the latest.
 *
 * <p>RNG state: every random draw of a run (prompt order, sampling, dropout) is seeded from the run seed and the
 * step, so the seed and the completed step count are the whole random state.
 */
final class Checkpoints {
  static final String DIR = "checkpoints";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** What a checkpoint restores. */
  record Restored(int completedSteps, AdamW.State optimizer) {}

  private Checkpoints() {}

  static void write(Path run, int completedSteps, LoraAdapter adapter, AdamW optimizer, long seed,
      int dataPosition) throws IOException {
    Path root = run.resolve(DIR);
    Files.createDirectories(root);
    String name = String.format("step-%06d", completedSteps);
    Path tmp = root.resolve(name + ".tmp");
    deleteTree(tmp);
    adapter.save(tmp.resolve("adapter"));
    AdamW.State state = optimizer.state();
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
        Files.newOutputStream(tmp.resolve("optimizer.bin"))))) {
      out.writeInt(state.step());
      out.writeInt(state.firstMoments().size());
      for (String key : state.firstMoments().keySet()) {
        out.writeUTF(key);
        writeFloats(out, state.firstMoments().get(key));
        writeFloats(out, state.secondMoments().get(key));
      }
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("completed_steps", completedSteps);
    json.put("optimizer_steps", state.step());
    json.put("data_position", dataPosition);
    json.put("seed", seed);
    json.put("rng", "every draw is seeded from (seed, step, prompt); no other random state");
    JSON.writeValue(tmp.resolve("state.json").toFile(), json);
    Path target = root.resolve(name);
    deleteTree(target);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The latest complete checkpoint's directory, if any. */
  static Optional<Path> latest(Path run) throws IOException {
    Path root = run.resolve(DIR);
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> p.getFileName().toString().matches("step-\\d{6}"))
          .filter(p -> Files.isRegularFile(p.resolve("state.json")))
          .max(Comparator.comparing(p -> p.getFileName().toString()));
    }
  }

  /**
   * Loads {@code dir} into the live adapter and returns the step count and optimizer state.
   *
   * @throws IOException when a file is missing or damaged, or the checkpoint was made with another seed
   */
  static Restored restore(Path dir, LoraAdapter live, long seed) throws IOException {
    JsonNode state = JSON.readTree(dir.resolve("state.json").toFile());
    if (state.get("seed").asLong() != seed) {
      throw new IOException(dir + " was written by a run with seed " + state.get("seed").asLong() + ", not " + seed);
    }
    try (LoraAdapter saved = LoraAdapter.load(dir.resolve("adapter"))) {
      AdapterWeights.write(live, AdapterWeights.values(saved));
    } catch (ModelFormatException | IllegalArgumentException e) {
      throw new IOException(dir.resolve("adapter") + ": " + e.getMessage(), e);
    }
    Map<String, float[]> m = new LinkedHashMap<>();
    Map<String, float[]> v = new LinkedHashMap<>();
    int step;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(
        Files.newInputStream(dir.resolve("optimizer.bin"))))) {
      step = in.readInt();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        String key = in.readUTF();
        m.put(key, readFloats(in));
        v.put(key, readFloats(in));
      }
    }
    return new Restored(state.get("completed_steps").asInt(), new AdamW.State(step, m, v));
  }

  /**
   * Where a run starts: with {@code resume}, from the run's latest checkpoint (adapter and optimizer restored into
   * {@code adapter} and {@code optimizer}, metrics after it dropped), or from step 0 when there is none yet; without
   * it, from step 0 in a run directory that holds no metrics yet.
   *
   * @return the number of steps already done
   * @throws IllegalStateException when {@code resume} is false and {@code metrics} already holds a run
   */
  static int begin(Path run, Path metrics, boolean resume, LoraAdapter adapter, AdamW optimizer, long seed, int steps,
      java.io.PrintStream console) throws IOException {
    if (!resume) {
      if (Files.exists(metrics) && Files.size(metrics) > 0) {
        throw new IllegalStateException(run + " already holds a run (metrics.jsonl); use --resume or another --out");
      }
      return 0;
    }
    int start = 0;
    Optional<Path> latest = latest(run);
    if (latest.isPresent()) {
      Restored r = restore(latest.get(), adapter, seed);
      optimizer.restore(r.optimizer());
      start = r.completedSteps();
    }
    truncateMetrics(metrics, start);
    console.printf("resuming at step %d of %d%s%n", start, steps, latest.map(p -> " from " + p).orElse(" (no checkpoint yet)"));
    return start;
  }

  /**
   * Keeps the metrics lines of steps up to {@code completed} (those a checkpoint covers); a line cut by a kill, and
   * everything after it, is dropped to be recomputed.
   */
  static void truncateMetrics(Path metrics, int completed) throws IOException {
    if (!Files.exists(metrics)) {
      return;
    }
    java.util.List<String> kept = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(metrics, java.nio.charset.StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      try {
        if (JSON.readTree(line).get("step").asInt() <= completed) {
          kept.add(line);
        }
      } catch (IOException e) {
        break;  // a line cut by the kill: it and everything after are recomputed
      }
    }
    Files.write(metrics, kept, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
    out.writeInt(a.length);
    for (float f : a) {
      out.writeFloat(f);
    }
  }

  private static float[] readFloats(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1 << 28) {
      throw new IOException("optimizer.bin is damaged: array length " + n);
    }
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = in.readFloat();
    }
    return a;
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
