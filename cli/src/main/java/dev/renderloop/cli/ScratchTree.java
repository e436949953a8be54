package dev.renderloop.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Removes a command's scratch folder (temporary frames, checkpoints, run folders) with everything in it. */
final class ScratchTree {
    private ScratchTree() {
    }

    static void delete(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
