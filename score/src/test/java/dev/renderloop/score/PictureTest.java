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

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
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
}
