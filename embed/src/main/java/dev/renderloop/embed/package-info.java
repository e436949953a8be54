/**
 * Embedding models for the score module, run with ONNX Runtime from files the user exported: CLIP image
 * embeddings (VS), DINOv2 CLS embeddings (the tiled reward) and CodeBERT text embeddings (CodeBERT similarity).
 *
 * <p>Public API: {@link dev.renderloop.embed.OnnxImageEmbedder} ({@code clip}, {@code dinov2}),
 * {@link dev.renderloop.embed.OnnxTextEmbedder} ({@code codebert}), {@link dev.renderloop.embed.Device},
 * {@link dev.renderloop.embed.Placement} and {@link dev.renderloop.embed.EmbeddingModelException}. Preprocessing
 * reproduces transformers' PIL image processors bit for bit (Pillow's bicubic resize is ported, not approximated),
 * so embeddings differ from the Python stack only by the model's float arithmetic. Nothing downloads: model and
 * tokenizer files are given as paths, and DJL's tokenizer runs offline from the native library in its jar.
 * {@code embed/fixtures/README.md} says how to export the real checkpoints.
 */
package dev.renderloop.embed;
