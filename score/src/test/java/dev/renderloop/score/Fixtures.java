package dev.renderloop.score;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Access to the parity fixtures written by {@code score/python/generate_fixtures.py}. */
final class Fixtures {
    private Fixtures() {
    }

    static Path dir(String name) {
        try {
            return Path.of(Objects.requireNonNull(Fixtures.class.getResource("fixtures/" + name),
                    "missing fixture folder " + name + " (run score/python/generate_fixtures.py)").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The rows of a TSV file, comment lines dropped, each split on tabs. */
    static List<String[]> tsv(Path file) throws IOException {
        return Files.readAllLines(file).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split("\t"))
                .toList();
    }

    static List<Picture> frames(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            Path[] sorted = files.filter(p -> p.toString().endsWith(".png")).sorted().toArray(Path[]::new);
            return Arrays.stream(sorted).map(Fixtures::read).toList();
        }
    }

    static Picture read(Path file) {
        try {
            return Picture.read(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
