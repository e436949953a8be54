package dev.renderloop.cli;

import dev.renderloop.embed.OnnxImageEmbedder;
import dev.renderloop.embed.OnnxTextEmbedder;
import dev.renderloop.score.ImageEmbedder;
import dev.renderloop.score.TextEmbedder;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The embedding models a command may use (a picocli mixin); each is optional and reported unavailable when absent. */
final class ModelOptions {
    @Option(names = "--clip-model", paramLabel = "ONNX", description = "CLIP ViT-L/14 image model in ONNX (VS's CLIP part).")
    Path clipModel;

    @Option(names = "--dino-model", paramLabel = "ONNX", description = "DINOv2 image model in ONNX (tiled reward's tile similarity).")
    Path dinoModel;

    @Option(names = "--codebert-model", paramLabel = "ONNX", description = "CodeBERT in ONNX (CodeBERT similarity and CBB).")
    Path codebertModel;

    @Option(names = "--codebert-tokenizer", paramLabel = "JSON", description = "CodeBERT's tokenizer.json (default: tokenizer.json beside the model).")
    Path codebertTokenizer;

    /** The configured models; any may be {@code null}. */
    record Models(ImageEmbedder clip, ImageEmbedder dino, TextEmbedder codebert) implements AutoCloseable {
        @Override
        public void close() {
            for (AutoCloseable m : new AutoCloseable[] {clip, dino, codebert}) {
                try {
                    if (m != null) {
                        m.close();
                    }
                } catch (Exception e) {
                    // closing a model cannot lose results; nothing to report
                }
            }
        }
    }

    /**
     * Loads the configured models.
     *
     * @throws IllegalArgumentException naming the file and what was expected when a model cannot be loaded
     */
    Models open() {
        ImageEmbedder c = null;
        ImageEmbedder d = null;
        try {
            c = clipModel == null ? null : OnnxImageEmbedder.clip(clipModel);
            d = dinoModel == null ? null : OnnxImageEmbedder.dinov2(dinoModel);
            TextEmbedder t = null;
            if (codebertModel != null) {
                Path tok = codebertTokenizer != null ? codebertTokenizer : codebertModel.toAbsolutePath().resolveSibling("tokenizer.json");
                t = OnnxTextEmbedder.codebert(codebertModel, tok);
            }
            return new Models(c, d, t);
        } catch (RuntimeException e) {
            new Models(c, d, null).close();
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
