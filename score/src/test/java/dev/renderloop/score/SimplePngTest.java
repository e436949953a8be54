package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Picture#read}'s fast path ({@link SimplePng}) gives ImageIO's pixels on the files it takes, and hands every
 * other file to ImageIO: files are written here with every row filter, several IDAT chunks and random pixels
 * (seeded), and each is read both ways.
 */
class SimplePngTest {
    @TempDir
    Path dir;

    /** How the test writes a PNG. */
    record Spec(int width, int height, int colourType, int depth, int interlace, int idatChunks, String extraChunk,
                int filterOrMinusOne) {
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void rgbAndRgbaWithEveryFilter_decodeAsImageIoDoes(long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        for (int colourType : new int[] {2, 6}) {
            Spec spec = new Spec(1 + random.nextInt(70), 1 + random.nextInt(50), colourType, 8, 0, 1 + random.nextInt(4),
                    null, -1);
            byte[] png = write(spec, random);
            assertNotNull(SimplePng.header(png), "the fast path takes " + spec);
            assertNotNull(SimplePng.argb(png, SimplePng.header(png)), "the fast path decodes " + spec);
            assertSameAsImageIo(png, spec.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void eachFilterAlone_onSmoothAndNoisyRows(int filter) throws Exception {
        SplittableRandom random = new SplittableRandom(100 + filter);
        for (int colourType : new int[] {2, 6}) {
            Spec spec = new Spec(33, 17, colourType, 8, 0, 2, null, filter);
            byte[] png = write(spec, random);
            assertNotNull(SimplePng.argb(png, SimplePng.header(png)));
            assertSameAsImageIo(png, spec.toString());
        }
    }

    @Test
    void filesTheFastPathDoesNotTake_areReadByImageIo() throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        Spec[] others = {
            new Spec(20, 10, 2, 8, 0, 1, "tRNS", -1),   // a transparent colour: ImageIO adds alpha
            new Spec(20, 10, 6, 8, 0, 1, "gAMA", -1),   // colour-space chunks
            new Spec(20, 10, 6, 8, 0, 1, "sRGB", -1),
            new Spec(20, 10, 2, 8, 0, 1, "tEXt,prVt", -1),  // an unknown chunk, beside a skipped one
            new Spec(20, 10, 2, 16, 0, 1, null, -1),    // 16-bit
            new Spec(20, 10, 0, 8, 0, 1, null, -1),     // grey
        };
        for (Spec spec : others) {
            byte[] png = write(spec, random);
            SimplePng.Header header = SimplePng.header(png);
            assertNull(header == null ? null : SimplePng.argb(png, header), "must fall back: " + spec);
            assertSameAsImageIo(png, spec.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tEXt", "tEXt,pHYs", "zTXt", "iTXt", "tIME", "pHYs,tEXt,zTXt,iTXt,tIME"})
    void chunksWithoutPixelInformation_areSkipped(String chunks) throws Exception {
        // matplotlib's savefig writes IHDR, tEXt (Software), pHYs, IDAT, IEND; text may also follow the image data.
        SplittableRandom random = new SplittableRandom(chunks.hashCode());
        for (int colourType : new int[] {2, 6}) {
            Spec spec = new Spec(1 + random.nextInt(60), 1 + random.nextInt(40), colourType, 8, 0, 1 + random.nextInt(3),
                    chunks, -1);
            byte[] png = write(spec, random);
            assertNotNull(SimplePng.argb(png, SimplePng.header(png)), "the fast path decodes " + spec);
            assertSameAsImageIo(png, spec.toString());
        }
    }

    @Test
    void brokenFiles_failAsBefore() throws Exception {
        byte[] png = write(new Spec(30, 20, 2, 8, 0, 3, null, -1), new SplittableRandom(9));
        // cut inside the image data: no fast-path answer, and ImageIO's error
        byte[] truncated = Arrays.copyOf(png, png.length / 2);
        assertNull(SimplePng.argb(truncated, SimplePng.header(truncated)));
        Path file = Files.write(dir.resolve("truncated.png"), truncated);
        assertThrows(java.io.IOException.class, () -> Picture.read(file));

        // a row filter type that does not exist
        byte[] badFilter = writeRaw(30, 20, 2, rawRows(30, 20, 3, new SplittableRandom(10), 7));
        assertNull(SimplePng.argb(badFilter, SimplePng.header(badFilter)));
        Path bad = Files.write(dir.resolve("badfilter.png"), badFilter);
        assertThrows(java.io.IOException.class, () -> Picture.read(bad));
    }

    private void assertSameAsImageIo(byte[] png, String what) throws Exception {
        Path file = Files.write(dir.resolve("p" + System.nanoTime() + ".png"), png);
        Picture fast = Picture.read(file);
        Picture reference = Picture.of(ImageIO.read(file.toFile()));
        assertEquals(reference.width(), fast.width(), what);
        assertEquals(reference.height(), fast.height(), what);
        assertArrayEquals(reference.rgb(), fast.rgb(), what);
    }

    /** Random pixels, each row filtered with a random filter (or the given one), the stream split into chunks. */
    private static byte[] write(Spec spec, SplittableRandom random) {
        int channels = switch (spec.colourType()) {
            case 0 -> 1;
            case 2 -> 3;
            case 6 -> 4;
            default -> throw new IllegalArgumentException();
        };
        int bytesPerSample = spec.depth() / 8;
        int bpp = channels * bytesPerSample;
        int stride = spec.width() * bpp;
        byte[][] rows = new byte[spec.height()][stride];
        for (int y = 0; y < spec.height(); y++) {
            boolean smooth = random.nextBoolean();  // flat runs, as drawings have, or noise
            for (int i = 0; i < stride; i++) {
                rows[y][i] = smooth && i >= bpp ? (byte) (rows[y][i - bpp] + random.nextInt(3) - 1) : (byte) random.nextInt(256);
            }
        }
        ByteArrayOutputStream filtered = new ByteArrayOutputStream();
        for (int y = 0; y < spec.height(); y++) {
            int f = spec.filterOrMinusOne() >= 0 ? spec.filterOrMinusOne() : random.nextInt(5);
            filtered.write(f);
            byte[] prior = y > 0 ? rows[y - 1] : new byte[stride];
            for (int i = 0; i < stride; i++) {
                int x = rows[y][i] & 0xFF;
                int a = i >= bpp ? rows[y][i - bpp] & 0xFF : 0;
                int b = prior[i] & 0xFF;
                int c = i >= bpp ? prior[i - bpp] & 0xFF : 0;
                int predicted = switch (f) {
                    case 0 -> 0;
                    case 1 -> a;
                    case 2 -> b;
                    case 3 -> (a + b) >>> 1;
                    default -> SimplePng.paeth(a, b, c);
                };
                filtered.write((x - predicted) & 0xFF);
            }
        }
        return assemble(spec, filtered.toByteArray());
    }

    /** Rows of random bytes, each preceded by the given filter byte. */
    private static byte[] rawRows(int w, int h, int bpp, SplittableRandom random, int filter) {
        byte[] out = new byte[(w * bpp + 1) * h];
        for (int y = 0; y < h; y++) {
            out[y * (w * bpp + 1)] = (byte) filter;
            for (int i = 1; i <= w * bpp; i++) {
                out[y * (w * bpp + 1) + i] = (byte) random.nextInt(256);
            }
        }
        return out;
    }

    private static byte[] writeRaw(int w, int h, int colourType, byte[] filteredRows) {
        return assemble(new Spec(w, h, colourType, 8, 0, 1, null, -1), filteredRows);
    }

    private static byte[] assemble(Spec spec, byte[] filteredRows) {
        Deflater deflater = new Deflater(6);
        deflater.setInput(filteredRows);
        deflater.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!deflater.finished()) {
            z.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        byte[] stream = z.toByteArray();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        PictureTest.chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(spec.width()).putInt(spec.height()).put((byte) spec.depth())
                .put((byte) spec.colourType()).put((byte) 0).put((byte) 0).put((byte) spec.interlace()).array());
        String[] extra = spec.extraChunk() == null ? new String[0] : spec.extraChunk().split(",");
        for (String name : extra) {
            PictureTest.chunk(out, name, extraChunkData(name));
        }
        int parts = Math.min(spec.idatChunks(), Math.max(1, stream.length));
        int at = 0;
        for (int p = 0; p < parts; p++) {
            int end = p == parts - 1 ? stream.length : at + stream.length / parts;
            PictureTest.chunk(out, "IDAT", Arrays.copyOfRange(stream, at, end));
            at = end;
        }
        if (extra.length > 0 && extra[0].endsWith("TXt")) {
            PictureTest.chunk(out, "tEXt", "Comment\0after the image data".getBytes(StandardCharsets.ISO_8859_1));
        }
        PictureTest.chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static byte[] extraChunkData(String name) {
        return switch (name) {
            case "tRNS" -> new byte[] {0, 0, 0, 0, 0, 0};
            case "tEXt" -> "Software\0Matplotlib version3.6.3, https://matplotlib.org/".getBytes(StandardCharsets.ISO_8859_1);
            case "zTXt" -> {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.writeBytes("Comment\0\0".getBytes(StandardCharsets.ISO_8859_1));
                Deflater d = new Deflater();
                d.setInput("compressed words".getBytes(StandardCharsets.ISO_8859_1));
                d.finish();
                byte[] buf = new byte[256];
                b.write(buf, 0, d.deflate(buf));
                d.end();
                yield b.toByteArray();
            }
            case "iTXt" -> "Title\0\0\0en\0Titel\0\u00e9l\u00e8ve".getBytes(StandardCharsets.UTF_8);
            case "tIME" -> new byte[] {0x07, (byte) 0xEA, 12, 7, 1, 2, 3};
            case "pHYs" -> new byte[] {0, 0, 0x0F, 0x61, 0, 0, 0x0F, 0x61, 1};
            case "gAMA" -> new byte[] {0, 0, (byte) 0xB1, (byte) 0x8F};
            case "sRGB" -> new byte[] {0};
            default -> new byte[] {1, 2, 3};
        };
    }
}
