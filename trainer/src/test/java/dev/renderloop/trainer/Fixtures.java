package dev.renderloop.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/** The parity fixtures written by trainer/fixtures/make_trl_fixtures.py, and readers for their arrays. */
final class Fixtures {
  static final Path DIR = Path.of("src/test/resources/dev/renderloop/trainer");
  static final Path MODEL = Path.of("../model/src/test/resources/dev/renderloop/model/qwen2-tiny-chat");
  static final Path ADAPTER = DIR.resolve("qwen2-tiny-chat-lora");

  private Fixtures() {}

  static JsonNode read(String name) throws IOException {
    return new ObjectMapper().readTree(DIR.resolve(name).toFile());
  }

  static float[] floats(JsonNode n) {
    float[] out = new float[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) n.get(i).asDouble();
    }
    return out;
  }

  static float[][] floats2(JsonNode n) {
    float[][] out = new float[n.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = floats(n.get(i));
    }
    return out;
  }

  static long[][] longs2(JsonNode n) {
    long[][] out = new long[n.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new long[n.get(i).size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = n.get(i).get(j).asLong();
      }
    }
    return out;
  }

  static float[] flat(float[][] a) {
    int width = a[0].length;
    float[] out = new float[a.length * width];
    for (int i = 0; i < a.length; i++) {
      System.arraycopy(a[i], 0, out, i * width, width);
    }
    return out;
  }

  /**
   * Runs the garbage collector and reuses freed native memory (direct buffers holding a junk value), as a training
   * step may between forward and backward: a tensor whose memory the graph still needs but nothing keeps alive
   * (see {@code GraphScalar}) then holds junk.
   */
  static void churnNativeMemory() {
    java.util.List<java.nio.ByteBuffer> junk = new java.util.ArrayList<>();
    for (int round = 0; round < 3; round++) {
      System.gc();
      for (int i = 0; i < 2000; i++) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4).order(java.nio.ByteOrder.nativeOrder());
        b.putFloat(0, 1234.5f);
        junk.add(b);
      }
    }
    junk.clear();
  }
}
