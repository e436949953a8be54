package dev.renderloop.score;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * The pixels of a {@link BufferedImage} of a standard sRGB type as packed non-premultiplied ARGB, read straight from
 * its data buffer: the values {@link BufferedImage#getRGB(int, int, int, int, int[], int, int)} returns, without its
 * per-pixel trip through the colour model (a quarter of the reward service's CPU for svg items went there).
 *
 * <p>Covered: {@code TYPE_3BYTE_BGR} and {@code TYPE_4BYTE_ABGR} (what ImageIO's PNG reader makes of 8-bit RGB and
 * RGBA files) and {@code TYPE_INT_RGB} and {@code TYPE_INT_ARGB}. Those types are sRGB with 8-bit components and no
 * premultiplication by definition, so {@code getRGB} copies the components unchanged. Anything else (grey, palette,
 * 16-bit, premultiplied, a custom colour space) returns {@code null}, and the caller uses {@code getRGB}.
 * {@code PictureTest} checks equality with {@code getRGB} for every covered type, sub-images included.
 */
final class StandardPixels {
    private StandardPixels() {
    }

    /** The image's pixels as packed ARGB, row-major, or {@code null} when its type is not covered. */
    static int[] argb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        int tx = raster.getSampleModelTranslateX();
        int ty = raster.getSampleModelTranslateY();
        return switch (image.getType()) {
            case BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR -> bytes(raster, w, h, tx, ty,
                    image.getType() == BufferedImage.TYPE_4BYTE_ABGR);
            case BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB -> ints(raster, w, h, tx, ty,
                    image.getType() == BufferedImage.TYPE_INT_ARGB);
            default -> null;
        };
    }

    private static int[] bytes(Raster raster, int w, int h, int tx, int ty, boolean alpha) {
        if (!(raster.getSampleModel() instanceof ComponentSampleModel sm) || !(raster.getDataBuffer() instanceof DataBufferByte db)
                || db.getNumBanks() != 1 || sm.getNumBands() != (alpha ? 4 : 3)) {
            return null;
        }
        byte[] data = db.getData();
        int[] offsets = sm.getBandOffsets();
        int r = offsets[0];
        int g = offsets[1];
        int b = offsets[2];
        int a = alpha ? offsets[3] : 0;
        int stride = sm.getScanlineStride();
        int step = sm.getPixelStride();
        int[] out = new int[w * h];
        for (int y = 0; y < h; y++) {
            int i = db.getOffset() + (y - ty) * stride + (-tx) * step;
            int o = y * w;
            for (int x = 0; x < w; x++, i += step) {
                int av = alpha ? data[i + a] & 0xFF : 0xFF;
                out[o + x] = av << 24 | (data[i + r] & 0xFF) << 16 | (data[i + g] & 0xFF) << 8 | (data[i + b] & 0xFF);
            }
        }
        return out;
    }

    private static int[] ints(Raster raster, int w, int h, int tx, int ty, boolean alpha) {
        if (!(raster.getSampleModel() instanceof SinglePixelPackedSampleModel sm) || !(raster.getDataBuffer() instanceof DataBufferInt db)
                || db.getNumBanks() != 1 || !standardMasks(sm.getBitMasks(), alpha)) {
            return null;
        }
        int[] data = db.getData();
        int stride = sm.getScanlineStride();
        int[] out = new int[w * h];
        for (int y = 0; y < h; y++) {
            int i = db.getOffset() + (y - ty) * stride - tx;
            for (int x = 0; x < w; x++) {
                int p = data[i + x];
                out[y * w + x] = alpha ? p : 0xFF000000 | p & 0xFFFFFF;
            }
        }
        return out;
    }

    private static boolean standardMasks(int[] masks, boolean alpha) {
        return masks.length == (alpha ? 4 : 3) && masks[0] == 0xFF0000 && masks[1] == 0xFF00 && masks[2] == 0xFF
                && (!alpha || masks[3] == 0xFF000000);
    }
}
