package dev.renderloop.embed;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.renderloop.score.ImageEmbedder;
import dev.renderloop.score.Picture;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * CLIP or DINOv2 image embeddings computed with ONNX Runtime from a model file the user exported.
 *
 * <p>Two kinds, each a fixed pairing of preprocessing and ONNX output:
 * <ul>
 *   <li>{@link #clip}: CLIPImageProcessor preprocessing (shortest edge 224, Pillow bicubic, center crop 224,
 *       CLIP mean/std) and the output {@code image_embeds}, the projected vector transformers'
 *       {@code get_image_features} returns (768 floats for ViT-L/14). Not normalised: VS L2-normalises.</li>
 *   <li>{@link #dinov2}: BitImageProcessor preprocessing as configured for facebook/dinov2-large (shortest
 *       edge 256, Pillow bicubic, center crop 224, ImageNet mean/std) and the output
 *       {@code cls_before_layernorm}: the CLS token of the last layer's hidden state before the final layernorm,
 *       {@code hidden_states[-1][:, 0]} in transformers (1024 floats for dinov2-large).</li>
 * </ul>
 * Both models take {@code pixel_values} (float, batch x 3 x 224 x 224). {@code embed/fixtures/make_tiny_models.py
 * --real} exports the real checkpoints in exactly this form; see the README beside it.
 *
 * <p>Thread-safe: preprocessing is stateless and ONNX Runtime sessions accept concurrent runs. Close it to free
 * the native session.
 */
public final class OnnxImageEmbedder implements ImageEmbedder {

    /** Pictures per ONNX Runtime call in {@link #embedAll}; bounds the input buffer at about 9.6 MB. */
    private static final int BATCH = 16;

    private enum Kind {
        CLIP("clip", "CLIP image model", "image_embeds", ImagePreprocessor.CLIP),
        DINOV2("dinov2", "DINOv2 image model", "cls_before_layernorm", ImagePreprocessor.DINOV2);

        final String id;
        final String description;
        final String output;
        final ImagePreprocessor preprocessor;

        Kind(String id, String description, String output, ImagePreprocessor preprocessor) {
            this.id = id;
            this.description = description;
            this.output = output;
            this.preprocessor = preprocessor;
        }
    }

    private final Kind kind;
    private final OrtModel model;
    private final String name;

    private OnnxImageEmbedder(Kind kind, Path modelFile, Device device) {
        Objects.requireNonNull(modelFile, "modelFile");
        Objects.requireNonNull(device, "device");
        this.kind = kind;
        this.model = OrtModel.open(modelFile, kind.description, device,
                new OrtModel.Port[] {new OrtModel.Port("pixel_values", OnnxJavaType.FLOAT, 4)},
                new OrtModel.Port(kind.output, OnnxJavaType.FLOAT, 2));
        this.name = kind.id + "-onnx:sha256:" + model.shortSha();
    }

    /** A CLIP image embedder on the CPU. @see #clip(Path, Device) */
    public static OnnxImageEmbedder clip(Path modelOnnx) {
        return clip(modelOnnx, Device.CPU);
    }

    /**
     * A CLIP image embedder (e.g. openai/clip-vit-large-patch14 exported by {@code make_tiny_models.py --real}).
     *
     * @throws EmbeddingModelException when the file is missing, not ONNX, lacks input {@code pixel_values} or
     *                                 output {@code image_embeds}, or {@code device} is CUDA and CUDA is unavailable
     */
    public static OnnxImageEmbedder clip(Path modelOnnx, Device device) {
        return new OnnxImageEmbedder(Kind.CLIP, modelOnnx, device);
    }

    /** A DINOv2 image embedder on the CPU. @see #dinov2(Path, Device) */
    public static OnnxImageEmbedder dinov2(Path modelOnnx) {
        return dinov2(modelOnnx, Device.CPU);
    }

    /**
     * A DINOv2 image embedder (e.g. facebook/dinov2-large exported by {@code make_tiny_models.py --real}).
     *
     * @throws EmbeddingModelException when the file is missing, not ONNX, lacks input {@code pixel_values} or
     *                                 output {@code cls_before_layernorm}, or {@code device} is CUDA and CUDA is
     *                                 unavailable
     */
    public static OnnxImageEmbedder dinov2(Path modelOnnx, Device device) {
        return new OnnxImageEmbedder(Kind.DINOV2, modelOnnx, device);
    }

    /** {@code clip-onnx:sha256:<12 hex>} or {@code dinov2-onnx:sha256:<12 hex>} (SHA-256 of the model file). */
    @Override
    public String name() {
        return name;
    }

    /** Where the model runs (CPU or CUDA) and, under {@link Device#AUTO}, why. */
    public Placement placement() {
        return model.placement();
    }

    /** The model file. */
    public Path modelFile() {
        return model.file();
    }

    @Override
    public float[] embed(Picture picture) {
        return run(List.of(picture)).get(0);
    }

    /** Embeds in batches of up to 16 pictures; one list entry per picture, in order. */
    @Override
    public List<float[]> embedAll(List<Picture> pictures) {
        List<float[]> out = new ArrayList<>(pictures.size());
        for (int start = 0; start < pictures.size(); start += BATCH) {
            out.addAll(run(pictures.subList(start, Math.min(pictures.size(), start + BATCH))));
        }
        return out;
    }

    private List<float[]> run(List<Picture> batch) {
        ImagePreprocessor preprocessor = kind.preprocessor;
        int per = preprocessor.size();
        float[] input = new float[batch.size() * per];
        for (int i = 0; i < batch.size(); i++) {
            preprocessor.pixels(Objects.requireNonNull(batch.get(i), "picture"), input, i * per);
        }
        long[] shape = {batch.size(), 3, preprocessor.crop(), preprocessor.crop()};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
             OrtSession.Result result = model.session().run(Map.of("pixel_values", tensor), Set.of(kind.output))) {
            float[][] rows = (float[][]) result.get(0).getValue();
            return List.of(rows);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + model.file() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return name + " on " + model.placement();
    }
}
