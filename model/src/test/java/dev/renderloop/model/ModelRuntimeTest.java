package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ModelRuntime}: finds the runtime jars by their marker files, and names the ones a class path lacks. */
class ModelRuntimeTest {
  @Test
  void theTestClassPathHasTheRuntime() {
    // the model module's tests run with the runtime (the default build's model-runtime profile)
    assertTrue(ModelRuntime.installed(), "the model module's tests need libtorch on their class path");
    assertEquals(List.of(), ModelRuntime.missing(ModelRuntimeTest.class.getClassLoader()));
  }

  @Test
  void aClassPathWithoutTheJarsNamesBothMissingJars() throws Exception {
    try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
      List<String> missing = ModelRuntime.missing(empty);
      assertEquals(2, missing.size(), missing.toString());
      assertTrue(missing.get(0).contains("pytorch-native-cpu"), missing.toString());
      assertTrue(missing.get(1).contains("pytorch-jni"), missing.toString());
      String message = new ModelRuntimeUnavailableException(missing).getMessage();
      assertTrue(message.startsWith("the model runtime is not installed: "), message);
      assertTrue(message.contains("pytorch-native-cpu") && message.contains("pytorch-jni") && message.endsWith("are not on the class path"), message);
    }
  }

  @Test
  void oneMissingJarIsNamedAlone() throws Exception {
    // a loader that sees only the JNI jar's marker: the libtorch jar alone is reported
    URL jni = ModelRuntimeTest.class.getClassLoader().getResource(ModelRuntime.JNI_MARKER);
    String jar = jni.toString().substring("jar:".length(), jni.toString().indexOf("!/"));
    try (URLClassLoader onlyJni = new URLClassLoader(new URL[] {java.net.URI.create(jar).toURL()}, null)) {
      List<String> missing = ModelRuntime.missing(onlyJni);
      assertEquals(1, missing.size(), missing.toString());
      assertTrue(missing.get(0).contains("pytorch-native-cpu"), missing.toString());
      assertTrue(new ModelRuntimeUnavailableException(missing).getMessage().endsWith("is not on the class path"));
    }
  }
}
