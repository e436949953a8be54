package dev.renderloop.score;

import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The fast path of {@link Picture#read}: 8-bit RGB or RGBA PNG files with nothing but {@code IHDR}, {@code IDAT} and
 * {@code IEND} chunks, not interlaced, decoded straight to packed ARGB, besides chunks that hold no pixel information
 * and that ImageIO does not apply to pixels either: text ({@code tEXt}, {@code zTXt}, {@code iTXt}), the time
 * ({@code tIME}) and the physical pixel size ({@code pHYs}), which are skipped. That is what this project's renderers
 * write (the svg and molecule renderers' {@code PngEncoder}, the Python workers' {@code write_png}; matplotlib's
 * {@code savefig} adds a {@code tEXt} and a {@code pHYs}), and what a reward reads back once per candidate frame;
 * ImageIO's reader spent most of its time copying rows into its raster (5.9 ms of a 640x480 chart's score, timed by hand).
 *
 * <p>Anything else (another depth or colour type, interlacing, any other chunk, colour-space chunks included, a
 * truncated or malformed file)
 * returns {@code null} and the caller reads the file with ImageIO, so this path only ever answers where ImageIO
 * would answer the same pixels (ImageIO makes {@code TYPE_3BYTE_BGR} and {@code TYPE_4BYTE_ABGR} images of such
 * files, whose components are the file's bytes after unfiltering). {@code PictureTest} compares both on files with
 * every row filter, several {@code IDAT} chunks, and the cases that must fall back. Stateless and thread-safe.
 */
final class SimplePng {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final int IHDR = 0x49484452;
    private static final int IDAT = 0x49444154;
    private static final int IEND = 0x49454E44;
    /** Chunks without pixel information, skipped: tEXt, zTXt, iTXt, tIME, pHYs. */
    private static final java.util.Set<Integer> NO_PIXEL_INFORMATION = java.util.Set.of(
            0x74455874, 0x7A545874, 0x69545874, 0x74494D45, 0x70485973);

    /** The image's size from its header, for the pixel bound, before any pixel is decoded. */
    record Header(int width, int height, int channels) {
    }

    private SimplePng() {
    }

    /** The header of a file this path decodes, or {@code null} when the file must go to ImageIO. */
    static Header header(byte[] png) {
        if (png.length < 8 + 25 + 12) {
            return null;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (png[i] != SIGNATURE[i]) {
                return null;
            }
        }
        if (readInt(png, 8) != 13 || readInt(png, 12) != IHDR) {
            return null;
        }
        int width = readInt(png, 16);
        int height = readInt(png, 20);
        int depth = png[24] & 0xFF;
        int colourType = png[25] & 0xFF;
        if (width < 1 || height < 1 || depth != 8 || (colourType != 2 && colourType != 6)
                || png[26] != 0 || png[27] != 0 || png[28] != 0) {
            return null;  // compression, filter method and interlacing must all be 0
        }
        return new Header(width, height, colourType == 6 ? 4 : 3);
    }

    /**
     * The pixels as packed non-premultiplied ARGB (alpha 255 for RGB files), row-major, or {@code null} when the
     * file must go to ImageIO. {@code header} is {@link #header}'s answer for the same bytes.
     */
    static int[] argb(byte[] png, Header header) {
        int w = header.width();
        int h = header.height();
        int bpp = header.channels();
        long rowBytes = (long) w * bpp;
        long total = (rowBytes + 1) * h;
        if (total > Integer.MAX_VALUE - 16) {
            return null;
        }
        byte[] raw = new byte[(int) total];
        Inflater inflater = new Inflater();
        try {
            int filled = 0;
            int at = 8 + 25;  // after the signature and IHDR
            boolean ended = false;
            while (!ended) {
                if (at + 12 > png.length) {
                    return null;
                }
                int length = readInt(png, at);
                int type = readInt(png, at + 4);
                if (length < 0 || (long) at + 12 + length > png.length) {
                    return null;
                }
                switch (type) {
                    case IDAT -> {
                        if (filled < raw.length) {
                            inflater.setInput(png, at + 8, length);
                            while (filled < raw.length && !inflater.needsInput() && !inflater.finished()) {
                                int n = inflater.inflate(raw, filled, raw.length - filled);
                                if (n == 0) {
                                    break;  // needs the next chunk, or a preset dictionary (then it falls back)
                                }
                                filled += n;
                            }
                        }
                    }
                    case IEND -> ended = true;
                    default -> {
                        if (!NO_PIXEL_INFORMATION.contains(type)) {
                            return null;  // any other chunk: ImageIO's business (tRNS, iCCP, gAMA, ...)
                        }
                    }
                }
                at += 12 + length;
            }
            if (filled != raw.length) {
                return null;
            }
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
        return unfilter(raw, w, h, bpp) ? pack(raw, w, h, bpp) : null;
    }

    /** Undoes the row filters in place; false on an unknown filter type. */
    private static boolean unfilter(byte[] raw, int w, int h, int bpp) {
        int stride = w * bpp;
        for (int y = 0; y < h; y++) {
            int row = y * (stride + 1) + 1;
            int prior = row - (stride + 1);  // the previous row's first byte; unused for y == 0
            int filter = raw[row - 1];
            // The first row's missing upper neighbours are 0: Up adds nothing, Average and Paeth are Sub's kin.
            switch (filter) {
                case 0 -> {
                }
                case 1 -> sub(raw, row, stride, bpp);
                case 2 -> {
                    if (y > 0) {
                        up(raw, row, prior, stride);
                    }
                }
                case 3 -> average(raw, row, y > 0 ? prior : -1, stride, bpp);
                case 4 -> paeth(raw, row, y > 0 ? prior : -1, stride, bpp);
                default -> {
                    return false;
                }
            }
        }
        return true;
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;
    private static final long HIGH1 = 0x8080808080808080L;

    private static void sub(byte[] raw, int row, int stride, int bpp) {
        for (int i = bpp; i < stride; i++) {
            raw[row + i] += raw[row + i - bpp];
        }
    }

    /**
     * The Up filter, eight bytes at a time: each byte of {@code a + b} mod 256 without carries between bytes
     * (the low seven bits added, the top bit as their sum's top bit xor both top bits). Most rows of a chart are
     * Up rows; the byte loop, whose source and target lie in one array, was not vectorised by the JIT.
     */
    private static void up(byte[] raw, int row, int prior, int stride) {
        int i = 0;
        for (; i + 8 <= stride; i += 8) {
            long a = (long) LONGS.get(raw, row + i);
            long b = (long) LONGS.get(raw, prior + i);
            LONGS.set(raw, row + i, ((a & LOW7) + (b & LOW7)) ^ ((a ^ b) & HIGH1));
        }
        for (; i < stride; i++) {
            raw[row + i] += raw[prior + i];
        }
    }

    /** The Average filter; {@code prior} is -1 on the first row (upper neighbours 0). */
    private static void average(byte[] raw, int row, int prior, int stride, int bpp) {
        int first = Math.min(bpp, stride);
        for (int i = 0; i < first; i++) {
            raw[row + i] += (byte) ((prior < 0 ? 0 : raw[prior + i] & 0xFF) >>> 1);
        }
        for (int i = first; i < stride; i++) {
            int up = prior < 0 ? 0 : raw[prior + i] & 0xFF;
            raw[row + i] += (byte) (((raw[row + i - bpp] & 0xFF) + up) >>> 1);
        }
    }

    /** The Paeth filter; {@code prior} is -1 on the first row (upper neighbours 0, so it predicts the left byte). */
    private static void paeth(byte[] raw, int row, int prior, int stride, int bpp) {
        if (prior < 0) {
            sub(raw, row, stride, bpp);
            return;
        }
        int first = Math.min(bpp, stride);
        for (int i = 0; i < first; i++) {
            raw[row + i] += raw[prior + i];  // left and upper-left are 0: the predictor is the upper byte
        }
        for (int i = first; i < stride; i++) {
            raw[row + i] += (byte) paeth(raw[row + i - bpp] & 0xFF, raw[prior + i] & 0xFF, raw[prior + i - bpp] & 0xFF);
        }
    }

    /** The PNG Paeth predictor of a byte from its left, upper and upper-left neighbours. */
    static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static int[] pack(byte[] raw, int w, int h, int bpp) {
        int[] out = new int[w * h];
        int stride = w * bpp;
        for (int y = 0; y < h; y++) {
            int i = y * (stride + 1) + 1;
            int o = y * w;
            if (bpp == 3) {
                for (int x = 0; x < w; x++, i += 3) {
                    out[o + x] = 0xFF000000 | (raw[i] & 0xFF) << 16 | (raw[i + 1] & 0xFF) << 8 | (raw[i + 2] & 0xFF);
                }
            } else {
                for (int x = 0; x < w; x++, i += 4) {
                    out[o + x] = (raw[i + 3] & 0xFF) << 24 | (raw[i] & 0xFF) << 16 | (raw[i + 1] & 0xFF) << 8
                            | (raw[i + 2] & 0xFF);
                }
            }
        }
        return out;
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}
