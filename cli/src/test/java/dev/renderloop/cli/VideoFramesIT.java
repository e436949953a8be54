package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads real videos (encoded by PyAV here) and frame folders. */
class VideoFramesIT {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    /** Encodes {@code n} frames at {@code fps}; frame k is a flat grey of level 8k (mp4 keeps flat greys close). */
    private Path encode(int n, int fps) throws Exception {
        Path video = dir.resolve("v.mp4");
        String program = String.join("\n",
                "import av, numpy as np, sys",
                "out = av.open(sys.argv[1], 'w')",
                "s = out.add_stream('libx264', rate=" + fps + ")",
                "s.width, s.height, s.pix_fmt = 64, 48, 'yuv420p'",
                "s.options = {'crf': '0'}",
                "for k in range(" + n + "):",
                "    img = np.full((48, 64, 3), 8 * k, dtype=np.uint8)",
                "    for p in s.encode(av.VideoFrame.from_ndarray(img, format='rgb24')): out.mux(p)",
                "for p in s.encode(): out.mux(p)",
                "out.close()");
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", program, video.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        return video;
    }

    @Test
    void mp4At15FpsKeepsEveryThirdFrame() throws Exception {
        VideoFrames v = VideoFrames.read(encode(30, 15), null, PYTHON);
        assertEquals(15.0, v.fps(), 1e-9);
        assertEquals(30, v.decoded());
        assertEquals(10, v.frames().size());
        for (int i = 0; i < 10; i++) {
            int grey = v.frames().get(i).pixel(32, 24) & 0xFF;
            assertTrue(Math.abs(grey - 8 * 3 * i) <= 3, "frame " + i + " grey " + grey);
        }
    }

    @Test
    void folderIsReadInNaturalOrderAndSampledWhenARateIsGiven() throws Exception {
        Path frames = Files.createDirectory(dir.resolve("frames"));
        for (int k = 0; k < 12; k++) {
            BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
            img.setRGB(0, 0, k * 10);
            ImageIO.write(img, "png", frames.resolve("frame" + k + ".png").toFile());
        }
        Files.writeString(frames.resolve("notes.txt"), "not a frame");
        VideoFrames all = VideoFrames.read(frames, null, PYTHON);
        assertEquals(12, all.frames().size());
        assertEquals(List.of(0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110),
                all.frames().stream().map(f -> f.pixel(0, 0) & 0xFF).toList());
        VideoFrames sampled = VideoFrames.read(frames, 15.0, PYTHON);
        assertEquals(List.of(0, 30, 60, 90), sampled.frames().stream().map(f -> f.pixel(0, 0) & 0xFF).toList());
    }

    @Test
    void badInputsGiveClearErrors() throws Exception {
        IOException missing = assertThrows(IOException.class, () -> VideoFrames.read(dir.resolve("nope.mp4"), null, PYTHON));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());

        Path text = Files.writeString(dir.resolve("fake.mp4"), "this is not a video");
        IOException notVideo = assertThrows(IOException.class, () -> VideoFrames.read(text, null, PYTHON));
        assertTrue(notVideo.getMessage().contains("cannot open video"), notVideo.getMessage());

        Path empty = Files.createDirectory(dir.resolve("empty"));
        IOException zero = assertThrows(IOException.class, () -> VideoFrames.read(empty, null, PYTHON));
        assertTrue(zero.getMessage().contains("zero frames"), zero.getMessage());

        Path broken = Files.createDirectory(dir.resolve("broken"));
        Files.write(broken.resolve("0.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        IOException corrupt = assertThrows(IOException.class, () -> VideoFrames.read(broken, null, PYTHON));
        assertTrue(corrupt.getMessage().contains("0.png"), corrupt.getMessage());

        IOException noPython = assertThrows(IOException.class, () -> VideoFrames.read(encode(3, 15), null, dir.resolve("no-python")));
        assertTrue(noPython.getMessage().contains("cannot start"), noPython.getMessage());
    }

    @Test
    void naturalOrderComparesDigitRunsAsNumbers() {
        List<String> names = new java.util.ArrayList<>(List.of("f10.png", "f2.png", "f1.png", "f002.png", "a.png", "f1a.png"));
        names.sort(VideoFrames::naturalOrder);
        assertEquals(List.of("a.png", "f1.png", "f1a.png", "f2.png", "f002.png", "f10.png"), names);
    }
}
