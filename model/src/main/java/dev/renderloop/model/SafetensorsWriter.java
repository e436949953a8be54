package dev.renderloop.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes F32 tensors as one {@code .safetensors} file: an 8-byte little-endian header length, a JSON header
 * ({@code __metadata__ {"format": "pt"}}, then each tensor's dtype, shape and data offsets, in name order) padded
 * with spaces to a multiple of 8 bytes as the reference writer pads it, then the little-endian data in the same
 * order.
 */
final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One tensor to write: row-major values and their shape. */
  record Tensor(float[] values, long[] shape) {
    Tensor {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      if (n != values.length) {
        throw new IllegalArgumentException(values.length + " values for shape " + Arrays.toString(shape));
      }
    }
  }

  private SafetensorsWriter() {}

  /** Writes {@code tensors} (by name) to {@code file}, replacing it. */
  static void write(Path file, Map<String, Tensor> tensors) throws IOException {
    Map<String, Tensor> sorted = new TreeMap<>(tensors);
    ObjectNode header = JSON.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      ArrayNode shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long bytes = 4L * e.getValue().values().length;
      t.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    byte[] headerBytes = new byte[padded];
    Arrays.fill(headerBytes, (byte) ' ');
    System.arraycopy(json, 0, headerBytes, 0, json.length);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      out.write(headerBytes);
      for (Tensor t : sorted.values()) {
        ByteBuffer data = ByteBuffer.allocate(4 * t.values().length).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(t.values());
        out.write(data.array());
      }
    }
  }
}
