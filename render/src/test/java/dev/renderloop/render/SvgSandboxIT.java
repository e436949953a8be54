package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SVG drawing children run inside bubblewrap where it works: the JVM that draws has its own network and mount
 * namespaces, does not see a canary file in the host's temporary directory nor the project tree, and still draws.
 * Where bubblewrap is missing the renderer's availability says that the children run without it.
 */
class SvgSandboxIT {
    @TempDir
    Path dir;

    @Test
    void theDrawingJvmRunsInsideBubblewrap() throws Exception {
        Sandbox sandbox = Sandbox.detect(true);
        try (SvgRenderer renderer = new SvgRenderer()) {
            String availability = renderer.availability().detail();
            if (sandbox.level() != Sandbox.Level.BUBBLEWRAP) {
                assertTrue(availability.contains("without bubblewrap"), availability);
                assumeTrue(false, "bubblewrap is not usable here: " + sandbox.description());
            }
            assertTrue(SvgDrawProcess.confinement().sandboxed(), SvgDrawProcess.confinement().description());
            assertTrue(availability.contains("inside bubblewrap"), availability);

            Path canary = Files.createTempFile("renderloop-svg-canary-", ".txt");
            try {
                RenderResult r = renderer.render(new RenderRequest("svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                        + "width=\"20\" height=\"20\"><rect width=\"20\" height=\"20\" fill=\"red\"/></svg>",
                        RenderSettings.SVG_DEFAULTS), Files.createDirectories(dir.resolve("r")));
                assertTrue(r.ok(), r.errorKind() + ": " + r.error());
                List<Long> children = renderer.childPids();
                assertFalse(children.isEmpty());
                ProcessHandle child = ProcessHandle.of(children.getFirst()).orElseThrow();
                ProcessHandle jvm = child.descendants()
                        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                        .findFirst().orElseThrow(() -> new AssertionError("no java process under " + child.info()));
                Path root = Path.of("/proc", String.valueOf(jvm.pid()), "root");
                for (String ns : List.of("net", "mnt", "pid")) {
                    assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns", ns)),
                            Files.readSymbolicLink(Path.of("/proc", String.valueOf(jvm.pid()), "ns", ns)), ns + " namespace");
                }
                assertFalse(Files.exists(Path.of(root + canary.toString())), "the host's temporary files are hidden");
                Path project = Path.of("").toAbsolutePath();
                if (!project.startsWith("/usr")) {
                    assertFalse(Files.exists(Path.of(root + project.resolve("pom.xml").toString())), "the project tree is hidden");
                }
                assertTrue(Files.exists(Path.of(root + "/usr/bin")), "the probe can see what the child sees");
            } finally {
                Files.deleteIfExists(canary);
            }
        }
    }
}
