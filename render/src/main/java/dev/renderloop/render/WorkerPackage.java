package dev.renderloop.render;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The Python worker package ({@code renderloop_worker}, resources beside this class) written out of the
 * jar for the workers to run.
 *
 * <p>The package is a core (protocol and job loop, the job process, per-job isolation, what drivers
 * share) and one {@code NAME_driver.py} per domain; a worker runs {@link #entry()} with
 * {@code --driver NAME}. The sandbox shows the workers {@link #directory()} read-only and nothing else
 * of where it was written.
 *
 * @param directory the package directory ({@code .../renderloop_worker}), the only one in its parent
 * @param entry     the script a worker runs ({@code worker.py} in the package directory)
 * @param hash      16 hex digits of SHA-256 over every file's name and bytes: part of the cache key,
 *                  so that a changed worker never replays renders of the old one
 */
record WorkerPackage(Path directory, Path entry, String hash) {

    static final String NAME = "renderloop_worker";
    /**
     * Every file of the package (a jar cannot be listed; WorkerPackageTest checks that this list
     * matches the resource directory).
     */
    static final List<String> FILES = List.of(
            "__init__.py", "worker.py", "base.py", "core.py", "job.py", "isolation.py",
            "matplotlib_driver.py", "manim_driver.py", "rdkit_driver.py", "tikz_driver.py", "fork_server.c",
            "apidoc_driver.py", "warm_pages.py", "spares.py");

    /**
     * Writes the package under {@code parent} ({@code parent/renderloop_worker/...}), files
     * {@code rw-r--r--}; {@code parent} should hold nothing else, as it goes on the worker's sys.path.
     *
     * @throws IOException           when a file cannot be written
     * @throws IllegalStateException when a file is missing from the jar (a broken build)
     */
    static WorkerPackage extract(Path parent) throws IOException {
        Path directory = Files.createDirectories(parent.resolve(NAME));
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String name : FILES) {
            byte[] bytes;
            try (InputStream in = WorkerPackage.class.getResourceAsStream(NAME + "/" + name)) {
                if (in == null) {
                    throw new IllegalStateException(NAME + "/" + name + " missing from the jar");
                }
                bytes = in.readAllBytes();
            }
            Path file = directory.resolve(name);
            Files.write(file, bytes);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(Long.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(bytes);
        }
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new WorkerPackage(directory, directory.resolve("worker.py"),
                HexFormat.of().formatHex(digest.digest()).substring(0, 16));
    }
}
