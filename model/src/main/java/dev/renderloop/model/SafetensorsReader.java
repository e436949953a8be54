package dev.renderloop.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the tensors of a Hugging Face checkpoint: one {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json}. Every tensor comes back as F32 (F16 and BF16 are widened here, in Java,
 * because this DJL version cannot hold BF16 arrays). Headers are checked when the reader opens, so a truncated
 * file fails at once, naming the file and the first tensor it cannot hold.
 */
final class SafetensorsReader {
  static final String SINGLE = "model.safetensors";
  static final String INDEX = "model.safetensors.index.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The format caps the header at 100 MB; a larger length means the file is not safetensors. */
  private static final long MAX_HEADER = 100L * 1024 * 1024;

  /** Where one tensor's bytes lie. */
  record TensorInfo(String name, Path file, String dtype, long[] shape, long start, long end) {
    long elements() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  private final Path source;
  private final Map<String, TensorInfo> tensors;

  private SafetensorsReader(Path source, Map<String, TensorInfo> tensors) {
    this.source = source;
    this.tensors = tensors;
  }

  /** Opens the weights of model directory {@code dir} (sharded when the index file exists). */
  static SafetensorsReader open(Path dir) throws ModelFormatException {
    Path index = dir.resolve(INDEX);
    if (Files.exists(index)) {
      return openIndex(dir, index);
    }
    Path single = dir.resolve(SINGLE);
    if (!Files.exists(single)) {
      throw new ModelFormatException("no " + SINGLE + " or " + INDEX + " in model directory " + dir);
    }
    return new SafetensorsReader(single, header(single));
  }

  /** Opens one {@code .safetensors} file. */
  static SafetensorsReader openFile(Path file) throws ModelFormatException {
    return new SafetensorsReader(file, header(file));
  }

  private static SafetensorsReader openIndex(Path dir, Path index) throws ModelFormatException {
    JsonNode map;
    try {
      map = JSON.readTree(Files.readString(index)).get("weight_map");
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + index + ": " + e.getMessage(), e);
    }
    if (map == null || !map.isObject()) {
      throw new ModelFormatException(index + ": missing object 'weight_map'");
    }
    Map<String, Map<String, TensorInfo>> shards = new LinkedHashMap<>();
    Map<String, TensorInfo> all = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String shardName = entry.getValue().asText();
      if (shardName.contains("/") || shardName.contains("\\")) {
        throw new ModelFormatException(index + ": shard name '" + shardName + "' must be a plain file name");
      }
      Map<String, TensorInfo> shard = shards.get(shardName);
      if (shard == null) {
        Path file = dir.resolve(shardName);
        if (!Files.exists(file)) {
          throw new ModelFormatException(index + " lists shard " + file + " (for tensor '" + entry.getKey()
              + "'), which does not exist");
        }
        shard = header(file);
        shards.put(shardName, shard);
      }
      TensorInfo info = shard.get(entry.getKey());
      if (info == null) {
        throw new ModelFormatException(index + " places tensor '" + entry.getKey() + "' in " + dir.resolve(shardName)
            + ", which does not hold it");
      }
      all.put(entry.getKey(), info);
    }
    return new SafetensorsReader(index, all);
  }

  /** Parses and checks the header of {@code file}. */
  static Map<String, TensorInfo> header(Path file) throws ModelFormatException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 8) {
        throw new ModelFormatException(file + " is truncated: " + size + " bytes, not even the header length");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength <= 0 || headerLength > MAX_HEADER) {
        throw new ModelFormatException(file + " is not a safetensors file (header length " + headerLength + ")");
      }
      if (8 + headerLength > size) {
        throw new ModelFormatException(file + " is truncated: header of " + headerLength + " bytes, file of " + size);
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      JsonNode header;
      try {
        header = JSON.readTree(headerBytes.array());
      } catch (IOException e) {
        throw new ModelFormatException(file + ": header is not valid JSON: " + e.getMessage(), e);
      }
      long dataStart = 8 + headerLength;
      Map<String, TensorInfo> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        if (entry.getKey().equals("__metadata__")) {
          continue;
        }
        TensorInfo info = tensorInfo(file, entry.getKey(), entry.getValue(), dataStart);
        if (info.end > size) {
          throw new ModelFormatException(file + " is truncated: tensor '" + info.name + "' ends at byte " + info.end
              + " but the file has " + size);
        }
        out.put(info.name, info);
      }
      return out;
    } catch (NoSuchFileException e) {
      throw new ModelFormatException("missing weights file " + file, e);
    } catch (ModelFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static TensorInfo tensorInfo(Path file, String name, JsonNode node, long dataStart)
      throws ModelFormatException {
    String dtype = node.path("dtype").asText("");
    int width = switch (dtype) {
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      default -> throw new ModelFormatException(file + ": tensor '" + name + "' has dtype '" + dtype
          + "' (supported: F32, F16, BF16)");
    };
    JsonNode shapeNode = node.get("shape");
    JsonNode offsets = node.get("data_offsets");
    if (shapeNode == null || !shapeNode.isArray() || offsets == null || !offsets.isArray() || offsets.size() != 2) {
      throw new ModelFormatException(file + ": tensor '" + name + "' lacks shape or data_offsets");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong(-1);
      if (shape[i] < 0) {
        throw new ModelFormatException(file + ": tensor '" + name + "' has a bad shape " + shapeNode);
      }
    }
    long begin = offsets.get(0).asLong(-1);
    long end = offsets.get(1).asLong(-1);
    TensorInfo info = new TensorInfo(name, file, dtype, shape, dataStart + begin, dataStart + end);
    if (begin < 0 || end < begin || end - begin != info.elements() * width) {
      throw new ModelFormatException(file + ": tensor '" + name + "' has data_offsets " + offsets + " that do not fit "
          + dtype + " of shape " + Arrays.toString(shape));
    }
    return info;
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      at += n;
    }
  }

  /** The names of all tensors, sorted. */
  Set<String> names() {
    return new TreeSet<>(tensors.keySet());
  }

  /** Where tensor {@code name} lies; fails naming the tensor and the checkpoint when it is absent. */
  TensorInfo info(String name) throws ModelFormatException {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new ModelFormatException("tensor '" + name + "' is missing from " + source);
    }
    return info;
  }

  /** Tensor {@code name} as F32 values in row-major order, after checking that its shape is {@code expected}. */
  float[] floats(String name, long... expected) throws ModelFormatException {
    TensorInfo info = info(name);
    if (!Arrays.equals(info.shape, expected)) {
      throw new ModelFormatException(info.file + ": tensor '" + name + "' has shape " + Arrays.toString(info.shape)
          + " but the config implies " + Arrays.toString(expected));
    }
    return floats(info);
  }

  /** The values of {@code info} widened to F32. */
  static float[] floats(TensorInfo info) throws ModelFormatException {
    long elements = info.elements();
    if (elements > Integer.MAX_VALUE - 8) {
      throw new ModelFormatException(info.file + ": tensor '" + info.name + "' has " + elements
          + " elements, more than one Java array holds");
    }
    ByteBuffer bytes = ByteBuffer.allocate((int) (info.end - info.start)).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel channel = FileChannel.open(info.file, StandardOpenOption.READ)) {
      readFully(channel, bytes, info.start);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read tensor '" + info.name + "' from " + info.file + ": "
          + e.getMessage(), e);
    }
    bytes.flip();
    float[] out = new float[(int) elements];
    switch (info.dtype) {
      case "F32" -> bytes.asFloatBuffer().get(out);
      case "F16" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = Float.float16ToFloat(bytes.getShort());
        }
      }
      case "BF16" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = bf16ToFloat(bytes.getShort());
        }
      }
      default -> throw new IllegalStateException(info.dtype);  // rejected when the header was read
    }
    return out;
  }

  /** BF16 is the upper half of an F32, so widening is exact: the bits move up and the low half is zero. */
  static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }
}
