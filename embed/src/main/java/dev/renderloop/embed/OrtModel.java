package dev.renderloop.embed;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * An ONNX Runtime session on a model file, opened on the requested device and checked against the inputs and
 * outputs an embedder needs. {@link OrtSession#run} is thread-safe, so one session serves all callers.
 *
 * @param file      the model file
 * @param session   the open session
 * @param placement where it runs
 * @param sha256    hex SHA-256 of the file, for provenance
 */
record OrtModel(Path file, OrtSession session, Placement placement, String sha256) implements AutoCloseable {

    /** An input or output the embedder relies on: its name, element type and rank. */
    record Port(String name, OnnxJavaType type, int rank) {
        @Override
        public String toString() {
            return name + " (" + type.name().toLowerCase(java.util.Locale.ROOT) + ", rank " + rank + ")";
        }
    }

    /**
     * Opens {@code file} on {@code device} and checks it.
     *
     * @param kind    what the file should be, for messages ("CLIP image model")
     * @param inputs  the inputs the model must have, exactly
     * @param output  the output the embedder reads; other outputs are allowed
     * @throws EmbeddingModelException naming the file and what was expected, when any of that fails
     */
    static OrtModel open(Path file, String kind, Device device, Port[] inputs, Port output) {
        if (!Files.isRegularFile(file)) {
            throw new EmbeddingModelException("no such " + kind + " file: " + file);
        }
        String sha256 = sha256(file, kind);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Placement placement;
        OrtSession session;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            placement = place(options, device);
            session = env.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new EmbeddingModelException("not a loadable ONNX model (" + kind + "): " + file + ": "
                    + e.getMessage(), e);
        }
        try {
            check(session, file, kind, inputs, output);
        } catch (RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
        return new OrtModel(file, session, placement, sha256);
    }

    /** Adds the execution provider for {@code device} to {@code options}; CPU needs nothing. */
    private static Placement place(OrtSession.SessionOptions options, Device device) {
        if (device == Device.CPU) {
            return new Placement(device, Device.CPU, "");
        }
        boolean offered = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
        if (!offered) {
            if (device == Device.CUDA) {
                throw new EmbeddingModelException("CUDA requested, but this ONNX Runtime build has no CUDA execution"
                        + " provider (the com.microsoft.onnxruntime:onnxruntime artifact is CPU-only; put"
                        + " onnxruntime_gpu on the class path instead)");
            }
            return new Placement(device, Device.CPU, "no CUDA execution provider in this ONNX Runtime build");
        }
        try {
            options.addCUDA(0);
            return new Placement(device, Device.CUDA, "");
        } catch (OrtException e) {
            if (device == Device.CUDA) {
                throw new EmbeddingModelException("CUDA requested, but its execution provider did not start: "
                        + e.getMessage(), e);
            }
            return new Placement(device, Device.CPU, "CUDA execution provider did not start: " + e.getMessage());
        }
    }

    private static void check(OrtSession session, Path file, String kind, Port[] inputs, Port output) {
        try {
            Map<String, NodeInfo> have = session.getInputInfo();
            StringBuilder expected = new StringBuilder();
            for (Port p : inputs) {
                expected.append(expected.isEmpty() ? "" : ", ").append(p);
            }
            if (have.size() != inputs.length) {
                throw wrongPorts(file, kind, "inputs", expected.toString(), have);
            }
            for (Port p : inputs) {
                if (!matches(have.get(p.name()), p)) {
                    throw wrongPorts(file, kind, "inputs", expected.toString(), have);
                }
            }
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            if (!matches(outputs.get(output.name()), output)) {
                throw wrongPorts(file, kind, "an output", output.toString(), outputs);
            }
        } catch (OrtException e) {
            throw new EmbeddingModelException("cannot read the inputs and outputs of " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean matches(NodeInfo info, Port port) {
        return info != null && info.getInfo() instanceof TensorInfo t
                && t.type == port.type() && t.getShape().length == port.rank();
    }

    private static EmbeddingModelException wrongPorts(Path file, String kind, String what, String expected,
                                                      Map<String, NodeInfo> have) {
        StringBuilder found = new StringBuilder();
        for (NodeInfo n : have.values()) {
            found.append(found.isEmpty() ? "" : ", ").append(n.getName());
            if (n.getInfo() instanceof TensorInfo t) {
                found.append(" (").append(t.type.name().toLowerCase(java.util.Locale.ROOT))
                        .append(", rank ").append(t.getShape().length).append(')');
            }
        }
        return new EmbeddingModelException(file + " is not a " + kind + " as exported by embed/fixtures/"
                + "make_tiny_models.py: expected " + what + " " + expected + ", found " + found);
    }

    private static String sha256(Path file, String kind) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new EmbeddingModelException("cannot read " + kind + " file " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The first 12 hex digits of the file's SHA-256. */
    String shortSha() {
        return sha256.substring(0, 12);
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException ignored) {
            // Closing after a failed check; the check's exception is the one to report.
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close ONNX Runtime session for " + file, e);
        }
    }
}
