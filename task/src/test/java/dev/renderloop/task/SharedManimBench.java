package dev.renderloop.task;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The ManimBench training split in {@code ../shared/data/manimbench/} beside the checkout, for the tests that read it
 * (the other modules take this class from this module's test jar). CI clones beside {@code ../shared}; a user's clone
 * has none, and ManimBench is not in the repository (README, "ManimBench"), so those tests skip, saying so.
 */
public final class SharedManimBench {
    private SharedManimBench() {
    }

    /**
     * {@code file} of the split ({@code train.jsonl}, {@code train.parquet}), found from the checkout's root (the
     * nearest directory up from the working directory that holds {@code mvnw}: a module under Maven, the root in an
     * IDE), whether or not it exists.
     */
    public static Path file(String file) {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("mvnw"))) {
                dir = d;
                break;
            }
        }
        return dir.resolveSibling("shared").resolve("data").resolve("manimbench").resolve(file).normalize();
    }

    /** {@link #file}, or the calling test is skipped with the reason when it is not there. */
    public static Path assume(String file) {
        Path p = file(file);
        Assumptions.assumeTrue(Files.isRegularFile(p), "ManimBench file not found at " + p
                + " (../shared is absent: a user's clone has none, the README's \"ManimBench\" section says where to get it;"
                + " CI clones beside ../shared)");
        return p;
    }
}
