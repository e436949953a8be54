package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The launcher's fat jar run as a separate process, for resume tests: {@link #untilKilled} reads its output until a
 * line matches and kills it there with SIGKILL (no shutdown hook, no close), {@link #toEnd} runs it to the end.
 */
final class KilledRun {
    private KilledRun() {
    }

    /** {@code java -jar target/renderloop.jar ARGS}. */
    static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar",
                Path.of("target/renderloop.jar").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Runs {@code command} and kills it with SIGKILL at the first output line (stdout and stderr together) that
     * {@code killAt} accepts; fails when it ends before such a line or is not killed.
     *
     * @return the lines read, the matching one last
     */
    static List<String> untilKilled(List<String> command, Predicate<String> killAt) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> seen = new ArrayList<>();
        boolean matched = false;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                seen.add(line);
                if (killAt.test(line)) {
                    matched = true;
                    p.destroyForcibly(); // SIGKILL
                    break;
                }
            }
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(matched, "the line to kill at never came: " + seen);
        assertNotEquals(0, p.exitValue(), "killed, not finished: " + seen);
        return seen;
    }

    /** Runs {@code command} to its end; returns its exit code and output (stdout and stderr together). */
    static Finished toEnd(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Finished(p.waitFor(), out);
    }

    record Finished(int exitCode, String out) {}
}
