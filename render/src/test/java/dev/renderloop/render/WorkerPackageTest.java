package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerPackageTest {

    @Test
    void fileList_isExactlyTheResourceDirectory() throws IOException, URISyntaxException {
        // In the build the resources are a directory on the class path (in the jar they cannot be listed).
        Path resources = Path.of(WorkerPackage.class.getResource(WorkerPackage.NAME + "/worker.py").toURI()).getParent();
        TreeSet<String> present = new TreeSet<>();
        try (Stream<Path> files = Files.list(resources)) {
            files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).forEach(present::add);
        }
        assertEquals(present, new TreeSet<>(WorkerPackage.FILES),
                "WorkerPackage.FILES must name every file of the package, and only those");
    }

    @Test
    void extract_writesThePackageAloneInItsParent_withAStableHash(@TempDir Path dir) throws IOException {
        WorkerPackage first = WorkerPackage.extract(dir.resolve("a"));
        WorkerPackage second = WorkerPackage.extract(dir.resolve("b"));
        assertEquals(dir.resolve("a").resolve(WorkerPackage.NAME), first.directory());
        assertEquals(first.directory().resolve("worker.py"), first.entry());
        try (Stream<Path> beside = Files.list(dir.resolve("a"))) {
            assertEquals(List.of(first.directory()), beside.toList(), "the parent goes on sys.path: nothing else in it");
        }
        for (String name : WorkerPackage.FILES) {
            assertTrue(Files.size(first.directory().resolve(name)) > 0, name);
        }
        assertEquals(first.hash(), second.hash());
        assertTrue(first.hash().matches("[0-9a-f]{16}"), first.hash());
    }

    @Test
    void everyDomainDriver_isOneModuleOfTheConventionalName(@TempDir Path dir) throws IOException {
        WorkerPackage p = WorkerPackage.extract(dir);
        for (String domain : List.of("matplotlib", "manim", "rdkit", "tikz", "apidoc")) {
            String source = Files.readString(p.directory().resolve(domain + "_driver.py"));
            assertTrue(source.contains("\nclass Driver"), domain + "_driver.py defines Driver");
        }
        assertNotEquals(-1, Files.readString(p.directory().resolve("core.py")).indexOf("def load_driver("));
    }
}
