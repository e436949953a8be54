package dev.renderloop.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.renderloop.score.TextEmbedder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * CodeBERT text (code) embeddings with ONNX Runtime: the vector the CodeBERT similarity metric takes the cosine
 * of, the mean of {@code last_hidden_state} over the tokens.
 *
 * <h2>Tokenisation</h2>
 * The model's own {@code tokenizer.json} (Hugging Face tokenizers, run natively through DJL), with special
 * tokens added ({@code <s> ... </s>} for RoBERTa/CodeBERT) and truncation to 512 tokens including them, as
 * {@code tokenizer(code, truncation=True, max_length=512)} does in Python; RoBERTa's position table ends at 514,
 * so longer input could not run anyway. Only the first 512 tokens of a long file count; that is the paper's
 * metric, not a choice made here. Texts are embedded one at a time, so there is no padding, and the mean runs
 * over every token including {@code <s>} and {@code </s>}.
 *
 * <p><b>Empty text</b> is tokenised to {@code <s></s>} and embedded like any other text, exactly as the Python
 * stack does; the result is a fixed vector, not an error and not zeros.
 *
 * <h2>Offline</h2>
 * DJL can phone home (an EC2 metadata probe and a telemetry request) when a tokenizer is created. Loading this
 * class sets the system properties {@code ai.djl.offline=true} and {@code OPT_OUT_TRACKING=true}, which turn that
 * off for the whole JVM. The native tokenizer library ships inside the DJL jar and is extracted to
 * {@code $ENGINE_CACHE_DIR/tokenizers} (default {@code ~/.djl.ai/tokenizers}); nothing is downloaded.
 *
 * <p>Thread-safe: the native tokenizer and the ONNX Runtime session accept concurrent calls. Close it to free both.
 */
public final class OnnxTextEmbedder implements TextEmbedder {

    /** Tokens the model sees at most, special tokens included. */
    static final int MAX_TOKENS = 512;

    private static final String OUTPUT = "last_hidden_state";

    static {
        // Before any DJL class initialises: offline mode also stops Ec2Utils.callHome.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }

    private final OrtModel model;
    private final HuggingFaceTokenizer tokenizer;
    private final String name;

    private OnnxTextEmbedder(Path modelOnnx, Path tokenizerJson, Device device) {
        Objects.requireNonNull(modelOnnx, "modelOnnx");
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        Objects.requireNonNull(device, "device");
        this.tokenizer = loadTokenizer(tokenizerJson);
        try {
            this.model = OrtModel.open(modelOnnx, "CodeBERT text model", device,
                    new OrtModel.Port[] {new OrtModel.Port("input_ids", OnnxJavaType.INT64, 2),
                        new OrtModel.Port("attention_mask", OnnxJavaType.INT64, 2)},
                    new OrtModel.Port(OUTPUT, OnnxJavaType.FLOAT, 3));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        this.name = "codebert-onnx:sha256:" + model.shortSha();
    }

    /** A CodeBERT embedder on the CPU. @see #codebert(Path, Path, Device) */
    public static OnnxTextEmbedder codebert(Path modelOnnx, Path tokenizerJson) {
        return codebert(modelOnnx, tokenizerJson, Device.CPU);
    }

    /**
     * A CodeBERT embedder (microsoft/codebert-base exported by {@code make_tiny_models.py --real}, which also
     * writes its {@code tokenizer.json}).
     *
     * @param modelOnnx     RoBERTa encoder with inputs {@code input_ids}, {@code attention_mask} (int64, batch x
     *                      sequence) and output {@code last_hidden_state} (float, batch x sequence x hidden)
     * @param tokenizerJson the model's Hugging Face {@code tokenizer.json}
     * @throws EmbeddingModelException when either file is missing or unusable, the model's inputs or outputs
     *                                 differ, or {@code device} is CUDA and CUDA is unavailable
     */
    public static OnnxTextEmbedder codebert(Path modelOnnx, Path tokenizerJson, Device device) {
        return new OnnxTextEmbedder(modelOnnx, tokenizerJson, device);
    }

    private static HuggingFaceTokenizer loadTokenizer(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new EmbeddingModelException("no such tokenizer file (a Hugging Face tokenizer.json): " + file);
        }
        // From a stream, not a path: given a path DJL also looks for tokenizer_config.json beside it, and a name
        // would make it download from the Hub.
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "truncation", "true",
                "maxLength", Integer.toString(MAX_TOKENS),
                "padding", "false");
        try (InputStream in = Files.newInputStream(file)) {
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException | RuntimeException e) {
            throw new EmbeddingModelException("not a Hugging Face tokenizer.json: " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code codebert-onnx:sha256:<12 hex>} (SHA-256 of the model file). */
    @Override
    public String name() {
        return name;
    }

    /** Where the model runs and, under {@link Device#AUTO}, why. */
    public Placement placement() {
        return model.placement();
    }

    /** The token ids the model receives for {@code text}: special tokens added, at most 512. */
    long[] tokenIds(String text) {
        Encoding encoding = tokenizer.encode(Objects.requireNonNull(text, "text"));
        return encoding.getIds();
    }

    @Override
    public float[] embed(String text) {
        long[] ids = tokenIds(text);
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1L);
        long[] shape = {1, ids.length};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor idsTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor maskTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OrtSession.Result result = model.session().run(
                     Map.of("input_ids", idsTensor, "attention_mask", maskTensor), Set.of(OUTPUT))) {
            float[][] hidden = ((float[][][]) result.get(0).getValue())[0];
            return meanOverTokens(hidden);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + model.file() + ": " + e.getMessage(), e);
        }
    }

    /** Mean over the sequence axis, accumulated in double: every token is a real one (no padding). */
    static float[] meanOverTokens(float[][] hidden) {
        int width = hidden[0].length;
        double[] sum = new double[width];
        for (float[] token : hidden) {
            for (int i = 0; i < width; i++) {
                sum[i] += token[i];
            }
        }
        float[] mean = new float[width];
        for (int i = 0; i < width; i++) {
            mean[i] = (float) (sum[i] / hidden.length);
        }
        return mean;
    }

    @Override
    public void close() {
        try {
            model.close();
        } finally {
            tokenizer.close();
        }
    }

    @Override
    public String toString() {
        return name + " on " + model.placement();
    }
}
