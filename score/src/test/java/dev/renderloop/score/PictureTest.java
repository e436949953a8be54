package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading images: the decompression-bomb bound is checked from the header before anything is decoded. */
class PictureTest {
    @TempDir
    Path dir;

    /** A 57-byte PNG whose header claims {@code w x h} pixels (no pixel data follows). */
    static byte[] pngHeader(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0)
                .put((byte) 0).put((byte) 0).array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** Appends one PNG chunk: length, type, data and CRC. */
    static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test
    void headerClaiming30000x30000_isRefusedBeforeDecoding() throws Exception {
        Path bomb = Files.write(dir.resolve("bomb.png"), pngHeader(30000, 30000));
        Runtime rt = Runtime.getRuntime();
        long before = rt.totalMemory() - rt.freeMemory();
        Picture.ImageTooLarge e = assertThrows(Picture.ImageTooLarge.class, () -> Picture.read(bomb));
        assertTrue(e.getMessage().contains("30000 x 30000 = 900000000 pixels, over the limit of 89478485"), e.getMessage());
        assertTrue(e.getMessage().contains(bomb.toString()), e.getMessage());
        // 900 M pixels decoded would be 3.6 GB; nothing near that was allocated.
        assertTrue(rt.totalMemory() - rt.freeMemory() - before < 256L << 20);
    }

    @Test
    void imagesWithinTheBound_read_andTheBoundIsConfigurable() throws Exception {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40, 30, java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path png = dir.resolve("ok.png");
        javax.imageio.ImageIO.write(img, "png", png.toFile());
        Picture p = Picture.read(png);
        assertEquals(40, p.width());
        assertEquals(30, p.height());
        assertThrows(Picture.ImageTooLarge.class, () -> Picture.read(png, 40 * 30 - 1));
        Path text = Files.writeString(dir.resolve("x.png"), "not an image");
        assertTrue(assertThrows(java.io.IOException.class, () -> Picture.read(text)).getMessage().startsWith("not an image"));
    }

    /** The direct read of standard types gives exactly what getRGB gives, whole images and sub-images alike. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {java.awt.image.BufferedImage.TYPE_3BYTE_BGR,
            java.awt.image.BufferedImage.TYPE_4BYTE_ABGR, java.awt.image.BufferedImage.TYPE_INT_RGB,
            java.awt.image.BufferedImage.TYPE_INT_ARGB})
    void standardTypes_readDirectly_equalGetRgb(int type) {
        java.util.Random random = new java.util.Random(7 + type);
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(37, 23, type);
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 37; x++) {
                img.setRGB(x, y, random.nextInt());
            }
        }
        for (java.awt.image.BufferedImage im : java.util.List.of(img, img.getSubimage(5, 3, 20, 17), img.getSubimage(0, 22, 37, 1))) {
            int[] direct = StandardPixels.argb(im);
            org.junit.jupiter.api.Assertions.assertNotNull(direct, "type " + type + " is covered");
            org.junit.jupiter.api.Assertions.assertArrayEquals(im.getRGB(0, 0, im.getWidth(), im.getHeight(), null, 0, im.getWidth()), direct);
        }
    }

    /** Types the direct read does not cover go through getRGB: a grey image's pixels still come out right. */
    @Test
    void otherTypes_fallBackToGetRgb() {
        java.awt.image.BufferedImage grey = new java.awt.image.BufferedImage(9, 4, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(2, 1, 0, 200);
        org.junit.jupiter.api.Assertions.assertNull(StandardPixels.argb(grey));
        java.awt.image.BufferedImage pre = new java.awt.image.BufferedImage(9, 4, java.awt.image.BufferedImage.TYPE_INT_ARGB_PRE);
        org.junit.jupiter.api.Assertions.assertNull(StandardPixels.argb(pre));
        Picture p = Picture.of(grey);
        assertEquals(grey.getRGB(2, 1) & 0xFFFFFF, p.pixel(2, 1));
    }

    /** PNG files as ImageIO decodes them (RGB and RGBA): the picture equals the one made through getRGB. */
    @Test
    void pngRgbAndRgba_readLikeGetRgb() throws Exception {
        java.util.Random random = new java.util.Random(11);
        for (int type : new int[] {java.awt.image.BufferedImage.TYPE_INT_RGB, java.awt.image.BufferedImage.TYPE_INT_ARGB}) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(31, 19, type);
            for (int y = 0; y < 19; y++) {
                for (int x = 0; x < 31; x++) {
                    img.setRGB(x, y, random.nextInt());
                }
            }
            Path png = dir.resolve("t" + type + ".png");
            javax.imageio.ImageIO.write(img, "png", png.toFile());
            java.awt.image.BufferedImage decoded = javax.imageio.ImageIO.read(png.toFile());
            assertTrue(StandardPixels.argb(decoded) != null, "the PNG reader's type " + decoded.getType() + " is covered");
            int[] viaGetRgb = decoded.getRGB(0, 0, 31, 19, null, 0, 31);
            Picture p = Picture.read(png);
            for (int i = 0; i < viaGetRgb.length; i++) {
                int a = viaGetRgb[i] >>> 24;
                int expected = a == 255 ? viaGetRgb[i] & 0xFFFFFF : composite(viaGetRgb[i]);
                assertEquals(expected, p.rgb()[i], "pixel " + i);
            }
        }
    }

    private static int composite(int argb) {
        int a = argb >>> 24;
        int r = ((argb >> 16 & 0xFF) * a + 255 * (255 - a) + 127) / 255;
        int g = ((argb >> 8 & 0xFF) * a + 255 * (255 - a) + 127) / 255;
        int b = ((argb & 0xFF) * a + 255 * (255 - a) + 127) / 255;
        return r << 16 | g << 8 | b;
    }
}
