package dev.renderloop.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether the model runtime is installed: DJL's PyTorch native library (libtorch, the
 * {@code ai.djl.pytorch:pytorch-native-cpu} jar, about 110 MB) and its JNI layer ({@code ai.djl.pytorch:pytorch-jni})
 * on the class path. Every other part of RenderLoop works without them, so applications ship them apart (the CLI
 * puts them in a {@code model-runtime/} folder beside its jar).
 *
 * <p>Why check rather than let DJL try: without these jars DJL would download libtorch from the network when it is
 * online, or fail deep inside its engine loader when it is offline ({@code ai.djl.offline=true}, which this module
 * sets). Neither tells the user what is missing. {@link CausalLm} and {@link ChatModel} call
 * {@link #requireInstalled()} before anything else, so a missing runtime is one clear error and nothing is fetched.
 */
public final class ModelRuntime {
  /** A file only the libtorch jar carries (DJL reads it to find the native library). */
  static final String NATIVE_MARKER = "native/lib/pytorch.properties";
  /** A file only the JNI jar carries. */
  static final String JNI_MARKER = "jnilib/pytorch.properties";

  private ModelRuntime() {
  }

  /** Whether both runtime jars are on this class's class path. */
  public static boolean installed() {
    return missing(ModelRuntime.class.getClassLoader()).isEmpty();
  }

  /**
   * Returns normally when the runtime is installed.
   *
   * @throws ModelRuntimeUnavailableException naming the missing jars otherwise
   */
  public static void requireInstalled() {
    List<String> missing = missing(ModelRuntime.class.getClassLoader());
    if (!missing.isEmpty()) {
      throw new ModelRuntimeUnavailableException(missing);
    }
  }

  /** The Maven coordinates of the runtime jars {@code loader} cannot see (empty when it sees both). */
  static List<String> missing(ClassLoader loader) {
    List<String> missing = new ArrayList<>();
    if (loader.getResource(NATIVE_MARKER) == null) {
      missing.add("ai.djl.pytorch:pytorch-native-cpu (libtorch)");
    }
    if (loader.getResource(JNI_MARKER) == null) {
      missing.add("ai.djl.pytorch:pytorch-jni");
    }
    return missing;
  }
}
