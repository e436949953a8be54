package dev.renderloop.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.score.Picture;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The frames of a video given on the command line, sampled at ~5 fps as the published VS samples them.
 *
 * <p>A video file (mp4, webm, mov, gif...) is decoded with PyAV in a Debian Python process; every
 * {@code max(1, int(fps / 5))}-th frame is kept. A folder holds frame images in name order (numbers
 * compared as numbers); with a frame rate given, it is sampled the same way, without one it is taken as
 * already sampled. A single PNG is a one-frame video (a still, as Manim writes for scenes without animation).
 *
 * @param frames  the sampled frames, at least one
 * @param fps     the source frame rate, or 0 when unknown (folder without a rate)
 * @param decoded frames in the source before sampling
 * @param source  the path read
 */
record VideoFrames(List<Picture> frames, double fps, int decoded, Path source) {

    private static final long DECODE_TIMEOUT_SECONDS = 300;

    static VideoFrames read(Path path, Double folderFps, Path python) throws IOException {
        if (Files.isDirectory(path)) {
            return readFolder(path, folderFps);
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException("no such file or folder: " + path);
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            return new VideoFrames(List.of(Picture.read(path)), 0, 1, path);
        }
        return decode(path, python);
    }

    private static VideoFrames readFolder(Path dir, Double fps) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                if (Files.isRegularFile(p) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"))) {
                    files.add(p);
                }
            }
        }
        if (files.isEmpty()) {
            throw new IOException("zero frames: no PNG or JPEG files in folder " + dir);
        }
        files.sort(Comparator.comparing((Path p) -> p.getFileName().toString(), VideoFrames::naturalOrder));
        int step = fps == null ? 1 : Math.max(1, (int) (fps / 5));
        List<Picture> frames = new ArrayList<>();
        for (int i = 0; i < files.size(); i += step) {
            frames.add(Picture.read(files.get(i)));
        }
        return new VideoFrames(frames, fps == null ? 0 : fps, files.size(), dir);
    }

    /** Compares names with runs of digits compared as numbers, so frame2 sorts before frame10. */
    static int naturalOrder(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i);
            char cb = b.charAt(j);
            if (Character.isDigit(ca) && Character.isDigit(cb)) {
                int si = i;
                int sj = j;
                while (i < a.length() && Character.isDigit(a.charAt(i))) {
                    i++;
                }
                while (j < b.length() && Character.isDigit(b.charAt(j))) {
                    j++;
                }
                String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
                String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
                int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
                if (c != 0) {
                    return c;
                }
            } else {
                if (ca != cb) {
                    return Character.compare(ca, cb);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static VideoFrames decode(Path video, Path python) throws IOException {
        Path dir = Files.createTempDirectory("renderloop-frames-");
        try {
            Path script = dir.resolve("decode_video.py");
            try (InputStream in = VideoFrames.class.getResourceAsStream("decode_video.py")) {
                if (in == null) {
                    throw new IllegalStateException("decode_video.py missing from the jar");
                }
                Files.copy(in, script);
            }
            Path out = Files.createDirectory(dir.resolve("frames"));
            Path log = dir.resolve("stderr.txt");
            Process process;
            try {
                process = new ProcessBuilder(python.toString(), script.toString(), video.toAbsolutePath().toString(), out.toString())
                        .redirectError(log.toFile())
                        .start();
            } catch (IOException e) {
                throw new IOException("cannot start " + python + " to decode " + video + ": " + e.getMessage(), e);
            }
            process.getOutputStream().close();
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (!process.waitFor(DECODE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IOException("decoding " + video + " took longer than " + DECODE_TIMEOUT_SECONDS + " s");
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while decoding " + video, e);
            }
            String err = Files.readString(log, StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new IOException(err.isEmpty() ? "decoding " + video + " failed with status " + process.exitValue() : err);
            }
            JsonNode info = new ObjectMapper().readTree(stdout.strip());
            int written = info.path("written").asInt();
            List<Picture> frames = new ArrayList<>(written);
            for (int i = 0; i < written; i++) {
                frames.add(Picture.read(out.resolve(String.format(Locale.ROOT, "%06d.png", i))));
            }
            return new VideoFrames(frames, info.path("fps").asDouble(), info.path("decoded").asInt(), video);
        } finally {
            ScratchTree.delete(dir);
        }
    }
}
