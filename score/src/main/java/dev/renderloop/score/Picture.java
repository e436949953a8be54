package dev.renderloop.score;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An opaque RGB picture: a rendered frame, a target image or a tile of one.
 *
 * <p>Pixels are packed {@code 0xRRGGBB}, row-major. Translucent inputs are composited over white
 * when they are read, because every renderer in this project draws on white and a transparent
 * background must not compare as black.
 *
 * @param width  width in pixels, at least 1
 * @param height height in pixels, at least 1
 * @param rgb    {@code width * height} packed pixels; not copied, so treat it as read-only
 */
public record Picture(int width, int height, int[] rgb) {

    public Picture {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("picture size must be at least 1x1, got " + width + "x" + height);
        }
        Objects.requireNonNull(rgb, "rgb");
        if (rgb.length != width * height) {
            throw new IllegalArgumentException("expected " + width * height + " pixels, got " + rgb.length);
        }
    }

    /** Wraps a decoded image, compositing any alpha over white. */
    public static Picture of(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] argb = StandardPixels.argb(image);
        if (argb == null) {
            argb = image.getRGB(0, 0, w, h, null, 0, w);
        }
        return composited(w, h, argb);
    }

    /** Packed non-premultiplied ARGB pixels (reused) composited over white. */
    private static Picture composited(int w, int h, int[] argb) {
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            int a = p >>> 24;
            if (a == 255) {
                argb[i] = p & 0xFFFFFF;
            } else {
                int r = over((p >> 16) & 0xFF, a);
                int g = over((p >> 8) & 0xFF, a);
                int b = over(p & 0xFF, a);
                argb[i] = (r << 16) | (g << 8) | b;
            }
        }
        return new Picture(w, h, argb);
    }

    private static int over(int c, int a) {
        return (c * a + 255 * (255 - a) + 127) / 255;
    }

    /**
     * The most pixels {@link #read(Path)} decodes: Pillow's decompression-bomb limit (89,478,485, about 9459 x 9459).
     * A small compressed file can claim a huge size (an 875 KB PNG of 30000 x 30000 takes 5.9 GB decoded).
     */
    public static final long MAX_PIXELS = 89_478_485L;

    /**
     * Reads a PNG, JPEG, BMP or GIF file of at most {@link #MAX_PIXELS} pixels.
     *
     * @throws IOException with a message naming the file when it is missing, unreadable, not an image, or larger
     *                     than the bound (checked from the header, before any pixel is decoded)
     */
    public static Picture read(Path file) throws IOException {
        return read(file, MAX_PIXELS);
    }

    /** {@link #read(Path)} with another pixel bound. */
    public static Picture read(Path file, long maxPixels) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no such image file: " + file);
        }
        if (Files.size(file) <= SIMPLE_PNG_MAX_BYTES) {
            byte[] bytes = Files.readAllBytes(file);
            SimplePng.Header header = SimplePng.header(bytes);
            if (header != null) {
                checkPixels(file, header.width(), header.height(), maxPixels);
                int[] argb = SimplePng.argb(bytes, header);
                if (argb != null) {
                    return composited(header.width(), header.height(), argb);
                }
            }
        }
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IOException("not an image this reader understands (PNG, JPEG, BMP, GIF): " + file);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                checkPixels(file, reader.getWidth(0), reader.getHeight(0), maxPixels);
                image = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (ImageTooLarge e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("not an image this reader")) {
                throw (IOException) e;
            }
            throw new IOException("cannot decode image " + file + ": " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IOException("not an image this reader understands (PNG, JPEG, BMP, GIF): " + file);
        }
        return of(image);
    }

    /** Files up to this size are tried by {@link SimplePng} first (the renders this project writes), then ImageIO. */
    private static final long SIMPLE_PNG_MAX_BYTES = 64L << 20;

    private static void checkPixels(Path file, long w, long h, long maxPixels) throws ImageTooLarge {
        if (w * h > maxPixels) {
            throw new ImageTooLarge("image " + file + " is " + w + " x " + h + " = " + w * h
                    + " pixels, over the limit of " + maxPixels + " (a decompression bomb, or an image to scale down first)");
        }
    }

    /** An image whose header claims more pixels than the bound allows. */
    public static final class ImageTooLarge extends IOException {
        ImageTooLarge(String message) {
            super(message);
        }
    }

    /** The picture as an opaque {@code TYPE_INT_RGB} image (shares no state with this record). */
    public BufferedImage toBufferedImage() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, width, height, rgb, 0, width);
        return image;
    }

    /** The packed pixel at column {@code x}, row {@code y}. */
    public int pixel(int x, int y) {
        return rgb[y * width + x];
    }
}
