package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PNG encoder's files read back, through ImageIO, to exactly the pixels written. */
class PngEncoderTest {
    @TempDir
    Path dir;

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    private static void assertRoundTrip(BufferedImage image) throws IOException {
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(PngEncoder.encode(image)));
        assertEquals(image.getWidth(), back.getWidth());
        assertEquals(image.getHeight(), back.getHeight());
        int[] expected = pixels(image);
        for (int i = 0; i < expected.length; i++) {
            expected[i] |= 0xFF000000;  // written opaque
        }
        assertArrayEquals(expected, pixels(back));
    }

    @Test
    void encode_randomRgbPixels_roundTripExactly() throws IOException {
        BufferedImage image = new BufferedImage(37, 23, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(42);
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 37; x++) {
                image.setRGB(x, y, random.nextInt());
            }
        }
        assertRoundTrip(image);
    }

    @Test
    void encode_drawingAndOtherImageTypes_roundTrip() throws IOException {
        for (int type : new int[] {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_3BYTE_BGR}) {
            BufferedImage image = new BufferedImage(336, 336, type);
            Graphics2D g = image.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 336, 336);
            g.setColor(Color.RED);
            g.fillOval(40, 40, 200, 120);
            g.dispose();
            assertRoundTrip(image);
        }
        assertRoundTrip(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB));
    }

    @Test
    void encode_subimageSharingABiggerBuffer_usesOnlyItsOwnPixels() throws IOException {
        BufferedImage big = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
        big.setRGB(5, 5, 0x123456);
        assertRoundTrip(big.getSubimage(5, 5, 10, 10));
    }

    @Test
    void write_sameImageTwice_givesIdenticalFiles() throws IOException {
        BufferedImage image = new BufferedImage(50, 40, BufferedImage.TYPE_INT_RGB);
        image.setRGB(3, 4, 0xABCDEF);
        PngEncoder.write(image, dir.resolve("a.png"));
        PngEncoder.write(image, dir.resolve("b.png"));
        assertArrayEquals(java.nio.file.Files.readAllBytes(dir.resolve("a.png")), java.nio.file.Files.readAllBytes(dir.resolve("b.png")));
        assertArrayEquals(pixels(image), pixels(ImageIO.read(dir.resolve("a.png").toFile())));
    }
    @Test
    void size_readsTheHeaderOnly_andRefusesWhatIsNotAPng() {
        byte[] png = PngEncoder.encode(new BufferedImage(37, 11, BufferedImage.TYPE_INT_RGB));
        assertArrayEquals(new int[] {37, 11}, PngEncoder.size(png));
        assertArrayEquals(new int[] {37, 11}, PngEncoder.size(java.util.Arrays.copyOf(png, 8 + 8 + 13)));
        assertNull(PngEncoder.size(java.util.Arrays.copyOf(png, 8 + 8 + 12)));
        byte[] notPng = png.clone();
        notPng[1] = 'Q';
        assertNull(PngEncoder.size(notPng));
        byte[] noHeader = png.clone();
        noHeader[12] = 'X';
        assertNull(PngEncoder.size(noHeader));
        assertNull(PngEncoder.size(new byte[0]));
    }
}
