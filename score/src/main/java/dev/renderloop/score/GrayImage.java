package dev.renderloop.score;

import java.util.Objects;

/**
 * A grayscale picture with 8-bit values, the input of every SSIM computation.
 *
 * <p>{@link #of(Picture)} converts exactly as OpenCV 4.x's {@code cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)}
 * (or {@code COLOR_BGR2GRAY} on a BGR frame) does for 8-bit images, which is what the published VS code
 * feeds to scikit-image: the fixed-point form of {@code Y = 0.299 R + 0.587 G + 0.114 B},
 * {@code Y = (9798 R + 19235 G + 3735 B + 2^14) >> 15}. It differs from the exact real-valued formula by at
 * most one level, and equals OpenCV's output on every input (checked against cv2 4.6 by the fixture generator).
 *
 * <p>{@link #resizeArea} reproduces {@code cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)}
 * bit for bit, including its three regimes: integer shrink factors (block means), non-integer shrinking
 * (fractional pixel-area weights in single precision) and enlarging in either direction (OpenCV then
 * interpolates linearly with area-style coefficients in 11-bit fixed point).
 *
 * @param width  width in pixels, at least 1
 * @param height height in pixels, at least 1
 * @param pixels {@code width * height} values, row-major, read as unsigned ({@code pixels[i] & 0xFF});
 *               not copied, so treat it as read-only
 */
public record GrayImage(int width, int height, byte[] pixels) {

    public GrayImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be at least 1x1, got " + width + "x" + height);
        }
        Objects.requireNonNull(pixels, "pixels");
        if (pixels.length != width * height) {
            throw new IllegalArgumentException("expected " + width * height + " values, got " + pixels.length);
        }
    }

    /** The grayscale version of an RGB picture, rounded as OpenCV's {@code COLOR_RGB2GRAY} does (see the class note). */
    public static GrayImage of(Picture picture) {
        int[] rgb = picture.rgb();
        byte[] gray = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            gray[i] = (byte) luma(rgb[i]);
        }
        return new GrayImage(picture.width(), picture.height(), gray);
    }

    /** OpenCV's 8-bit RGB to gray: coefficients 0.299/0.587/0.114 scaled by 2^15 and rounded. */
    static int luma(int rgb) {
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        return (r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15;
    }

    /** The value at column {@code x}, row {@code y}, 0..255. */
    public int value(int x, int y) {
        return pixels[y * width + x] & 0xFF;
    }

    /**
     * This image resized to {@code w x h} as {@code cv2.resize(..., interpolation=cv2.INTER_AREA)} does;
     * the same instance when the size already matches.
     */
    public GrayImage resizeArea(int w, int h) {
        if (w < 1 || h < 1) {
            throw new IllegalArgumentException("target size must be at least 1x1, got " + w + "x" + h);
        }
        if (w == width && h == height) {
            return this;
        }
        return new GrayImage(w, h, AreaResize.resize(pixels, width, height, w, h));
    }
}
