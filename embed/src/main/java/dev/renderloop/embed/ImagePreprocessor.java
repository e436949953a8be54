package dev.renderloop.embed;

import dev.renderloop.score.Picture;

/**
 * transformers' PIL image processors (CLIPImageProcessor and DINOv2's BitImageProcessor, the classic
 * Pillow-backed ones, {@code *ImageProcessorPil} in transformers 5) for one configuration: resize the shortest
 * edge with Pillow bicubic, center crop, rescale by 1/255, normalise per channel; RGB, channels first.
 *
 * <p>Arithmetic follows the Python code step by step so that pixel values are equal, not merely close: the new
 * long edge is {@code int(shortest * long / short)}, the crop offset is {@code (size - crop) // 2}, rescaling is a
 * double product cast to float, and normalisation is float32 {@code (x - mean) / std}.
 *
 * @param shortestEdge the length the shorter side is resized to
 * @param crop         the side of the square center crop; at most {@code shortestEdge}
 * @param mean         per-channel mean, RGB
 * @param std          per-channel standard deviation, RGB
 */
record ImagePreprocessor(int shortestEdge, int crop, float[] mean, float[] std) {

    /** openai/clip-vit-large-patch14's preprocessor_config.json. */
    static final ImagePreprocessor CLIP = new ImagePreprocessor(224, 224,
            new float[] {0.48145466f, 0.4578275f, 0.40821073f}, new float[] {0.26862954f, 0.26130258f, 0.27577711f});

    /** facebook/dinov2-large's preprocessor_config.json (ImageNet statistics). */
    static final ImagePreprocessor DINOV2 = new ImagePreprocessor(256, 224,
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    /** transformers' default rescale_factor, the Python float 1/255. */
    private static final double RESCALE = 1.0 / 255;

    ImagePreprocessor {
        if (crop < 1 || shortestEdge < crop) {
            throw new IllegalArgumentException("need 1 <= crop <= shortestEdge, got crop " + crop + ", edge " + shortestEdge);
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 channels");
        }
    }

    /** Values per picture in the model input: 3 x crop x crop. */
    int size() {
        return 3 * crop * crop;
    }

    /** The size after resizing, as transformers' get_resize_output_image_size computes it: {width, height}. */
    int[] resizedSize(int width, int height) {
        if (width <= height) {
            return new int[] {shortestEdge, (int) ((double) shortestEdge * height / width)};
        }
        return new int[] {(int) ((double) shortestEdge * width / height), shortestEdge};
    }

    /** The picture resized with Pillow bicubic, packed 0xRRGGBB, of {@link #resizedSize}. */
    int[] resized(Picture picture) {
        int[] size = resizedSize(picture.width(), picture.height());
        return PilBicubic.resize(picture.rgb(), picture.width(), picture.height(), size[0], size[1]);
    }

    /** Writes the model input for one picture into {@code out} at {@code offset}: channel, row, column order. */
    void pixels(Picture picture, float[] out, int offset) {
        int[] size = resizedSize(picture.width(), picture.height());
        int[] resized = resized(picture);
        int top = (size[1] - crop) / 2;
        int left = (size[0] - crop) / 2;
        int plane = crop * crop;
        for (int y = 0; y < crop; y++) {
            int row = (top + y) * size[0] + left;
            for (int x = 0; x < crop; x++) {
                int p = resized[row + x];
                int i = offset + y * crop + x;
                out[i] = normalise((p >> 16) & 0xFF, 0);
                out[i + plane] = normalise((p >> 8) & 0xFF, 1);
                out[i + 2 * plane] = normalise(p & 0xFF, 2);
            }
        }
    }

    private float normalise(int value, int channel) {
        float rescaled = (float) (value * RESCALE);
        return (rescaled - mean[channel]) / std[channel];
    }
}
