package dev.renderloop.task;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a task's target image lives: a file, or a resource inside the jar (bundled suites).
 *
 * @param file     a PNG file, or null
 * @param resource a class-path resource name, or null
 */
public record TargetImage(Path file, String resource) {
    public TargetImage {
        if ((file == null) == (resource == null)) {
            throw new IllegalArgumentException("exactly one of file and resource must be set");
        }
    }

    public static TargetImage ofFile(Path file) {
        return new TargetImage(Objects.requireNonNull(file), null);
    }

    public static TargetImage ofResource(String resource) {
        return new TargetImage(null, Objects.requireNonNull(resource));
    }

    /** Whether the image can be read now. */
    public boolean exists() {
        return file != null ? Files.isRegularFile(file) : TargetImage.class.getResource("/" + resource) != null;
    }

    /** The PNG bytes. */
    public byte[] bytes() {
        try {
            if (file != null) {
                return Files.readAllBytes(file);
            }
            try (InputStream in = TargetImage.class.getResourceAsStream("/" + resource)) {
                if (in == null) {
                    throw new IOException("no resource " + resource);
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read target image " + this, e);
        }
    }
}
