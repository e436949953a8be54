package dev.renderloop.trainer;

import ai.djl.ndarray.NDArray;
import dev.renderloop.model.LoraAdapter;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/** Copies between a live adapter's tensors and Java arrays (the optimizer works on the arrays). */
final class AdapterWeights {
  private AdapterWeights() {}

  static Map<String, float[]> values(LoraAdapter adapter) {
    Map<String, float[]> out = new LinkedHashMap<>();
    adapter.parameters().forEach((name, p) -> out.put(name, p.toFloatArray()));
    return out;
  }

  static Map<String, float[]> gradients(LoraAdapter adapter) {
    Map<String, float[]> out = new LinkedHashMap<>();
    adapter.parameters().forEach((name, p) -> {
      try (NDArray g = p.getGradient()) {
        out.put(name, g.toFloatArray());
      }
    });
    return out;
  }

  /** Writes {@code values} into the adapter's tensors in place; the model computes with them from the next pass. */
  static void write(LoraAdapter adapter, Map<String, float[]> values) {
    adapter.parameters().forEach((name, p) -> {
      float[] v = values.get(name);
      if (v == null || v.length != p.size()) {
        throw new IllegalArgumentException("no values of size " + p.size() + " for " + name);
      }
      p.set(FloatBuffer.wrap(v));
    });
  }
}
