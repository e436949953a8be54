package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {
  @TempDir Path dir;

  /** One tensor to write: its raw little-endian bytes. */
  record Entry(String name, String dtype, long[] shape, byte[] data) {}

  /** Writes a safetensors file the way the format specifies: u64 header length, JSON header, then the data. */
  static void write(Path file, List<Entry> entries) throws IOException {
    StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (Entry e : entries) {
      long begin = data.size();
      data.write(e.data);
      header.append(",\"").append(e.name).append("\":{\"dtype\":\"").append(e.dtype).append("\",\"shape\":")
          .append(Arrays.toString(e.shape)).append(",\"data_offsets\":[").append(begin).append(',')
          .append(data.size()).append("]}");
    }
    byte[] json = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(8 + json.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(json.length).put(json).put(data.toByteArray());
    Files.write(file, out.array());
  }

  static byte[] f32(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  static byte[] halves(short[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (short v : values) {
      b.putShort(v);
    }
    return b.array();
  }

  @Test
  void readsF32F16AndBf16WithTheirShapes() throws Exception {
    Random random = new Random(7);
    float[] f32 = new float[12];
    short[] f16 = new short[6];
    float[] f16Values = new float[6];
    short[] bf16 = new short[6];
    float[] bf16Values = new float[6];
    for (int i = 0; i < f32.length; i++) {
      f32[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < 6; i++) {
      // values exactly representable in the narrow type, so reading them back must be exact
      f16[i] = Float.floatToFloat16((float) random.nextGaussian());
      f16Values[i] = Float.float16ToFloat(f16[i]);
      bf16Values[i] = Float.intBitsToFloat(Float.floatToIntBits((float) random.nextGaussian() * 100) & 0xffff0000);
      bf16[i] = (short) (Float.floatToIntBits(bf16Values[i]) >>> 16);
    }
    Path file = dir.resolve("model.safetensors");
    write(file, List.of(new Entry("a", "F32", new long[] {3, 4}, f32(f32)),
        new Entry("b", "F16", new long[] {6}, halves(f16)),
        new Entry("c", "BF16", new long[] {2, 3}, halves(bf16))));
    SafetensorsReader reader = SafetensorsReader.open(dir);
    assertEquals(java.util.Set.of("a", "b", "c"), reader.names());
    assertArrayEquals(f32, reader.floats("a", 3, 4));
    assertArrayEquals(f16Values, reader.floats("b", 6));
    assertArrayEquals(bf16Values, reader.floats("c", 2, 3));
  }

  @Test
  void widensKnownBf16BitPatterns() {
    assertEquals(1.0f, SafetensorsReader.bf16ToFloat((short) 0x3F80));
    assertEquals(1.5f, SafetensorsReader.bf16ToFloat((short) 0x3FC0));
    assertEquals(-2.0f, SafetensorsReader.bf16ToFloat((short) 0xC000));
    assertEquals(Float.POSITIVE_INFINITY, SafetensorsReader.bf16ToFloat((short) 0x7F80));
    assertEquals(0.0f, SafetensorsReader.bf16ToFloat((short) 0));
    assertTrue(Float.isNaN(SafetensorsReader.bf16ToFloat((short) 0x7FC0)));
  }

  @Test
  void truncatedFileNamesFileAndTensor() throws Exception {
    Path file = dir.resolve("model.safetensors");
    write(file, List.of(new Entry("first", "F32", new long[] {2}, f32(new float[] {1, 2})),
        new Entry("second.weight", "F32", new long[] {4}, f32(new float[] {1, 2, 3, 4}))));
    byte[] all = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(all, all.length - 3));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsReader.open(dir));
    assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("second.weight")
        && e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void fileCutInsideTheHeaderIsReported() throws Exception {
    Path file = dir.resolve("model.safetensors");
    write(file, List.of(new Entry("x", "F32", new long[] {1}, f32(new float[] {1}))));
    Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 20));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsReader.open(dir));
    assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void offsetsThatDisagreeWithTheShapeAreRejected() throws Exception {
    write(dir.resolve("model.safetensors"),
        List.of(new Entry("w", "F32", new long[] {3}, f32(new float[] {1, 2}))));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsReader.open(dir));
    assertTrue(e.getMessage().contains("'w'"), e.getMessage());
  }

  @Test
  void unsupportedDtypeIsNamed() throws Exception {
    write(dir.resolve("model.safetensors"), List.of(new Entry("i", "I64", new long[] {1}, new byte[8])));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsReader.open(dir));
    assertTrue(e.getMessage().contains("I64") && e.getMessage().contains("'i'"), e.getMessage());
  }

  @Test
  void missingTensorAndWrongShapeNameTheTensor() throws Exception {
    write(dir.resolve("model.safetensors"),
        List.of(new Entry("w", "F32", new long[] {2, 2}, f32(new float[] {1, 2, 3, 4}))));
    SafetensorsReader reader = SafetensorsReader.open(dir);
    ModelFormatException missing = assertThrows(ModelFormatException.class, () -> reader.floats("v", 2, 2));
    assertTrue(missing.getMessage().contains("'v'"), missing.getMessage());
    ModelFormatException shape = assertThrows(ModelFormatException.class, () -> reader.floats("w", 4, 1));
    assertTrue(shape.getMessage().contains("'w'") && shape.getMessage().contains("[2, 2]")
        && shape.getMessage().contains("[4, 1]"), shape.getMessage());
  }

  @Test
  void shardedCheckpointIsReadThroughItsIndex() throws Exception {
    write(dir.resolve("part-1.safetensors"), List.of(new Entry("a", "F32", new long[] {1}, f32(new float[] {5}))));
    write(dir.resolve("part-2.safetensors"), List.of(new Entry("b", "F32", new long[] {1}, f32(new float[] {6}))));
    Files.writeString(dir.resolve(SafetensorsReader.INDEX),
        "{\"metadata\":{},\"weight_map\":{\"a\":\"part-1.safetensors\",\"b\":\"part-2.safetensors\"}}");
    SafetensorsReader reader = SafetensorsReader.open(dir);
    assertArrayEquals(new float[] {5}, reader.floats("a", 1));
    assertArrayEquals(new float[] {6}, reader.floats("b", 1));
  }

  @Test
  void indexPointingAtAMissingShardOrTheWrongShardIsReported() throws Exception {
    write(dir.resolve("part-1.safetensors"), List.of(new Entry("a", "F32", new long[] {1}, f32(new float[] {5}))));
    Files.writeString(dir.resolve(SafetensorsReader.INDEX),
        "{\"weight_map\":{\"a\":\"part-1.safetensors\",\"b\":\"part-9.safetensors\"}}");
    ModelFormatException gone = assertThrows(ModelFormatException.class, () -> SafetensorsReader.open(dir));
    assertTrue(gone.getMessage().contains("part-9.safetensors") && gone.getMessage().contains("'b'"),
        gone.getMessage());
    Files.writeString(dir.resolve(SafetensorsReader.INDEX),
        "{\"weight_map\":{\"a\":\"part-1.safetensors\",\"b\":\"part-1.safetensors\"}}");
    ModelFormatException wrong = assertThrows(ModelFormatException.class, () -> SafetensorsReader.open(dir));
    assertTrue(wrong.getMessage().contains("'b'") && wrong.getMessage().contains("part-1.safetensors"),
        wrong.getMessage());
  }

  @Test
  void directoryWithoutWeightsIsReported() {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsReader.open(dir));
    assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains(dir.toString()),
        e.getMessage());
  }
}
