package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** API documentation from a real warm worker, against a small package shaped like Manim. */
class InstalledApiIT {
    private static RenderEngine engine;

    static final String PROGRAM = String.join("\n",
            "from toyanim import *",
            "import numpy as np",
            "",
            "def helper(x):",
            "    return x",
            "",
            "class Demo(Scene):",
            "    def construct(self):",
            "        circle = Circle(radius=np.sqrt(2), color='BLUE')",
            "        circle.shift(UP)",
            "        self.play(ShowCreation(circle))",
            "        self.play(FadeOut(circle), run_time=helper(2))",
            "        print(len(np.linspace(0, 1, 3)))",
            "        self.wait()",
            "        circle.spin()",
            "");

    @BeforeAll
    static void start() throws URISyntaxException {
        Path fakeApi = Path.of(Objects.requireNonNull(InstalledApiIT.class.getResource("/fake-api/toyanim/__init__.py")).toURI())
                .getParent().getParent();
        engine = RenderEngine.builder().noCache().workers(1).pythonPath(List.of(fakeApi)).build();
    }

    @AfterAll
    static void stop() {
        engine.close();
        assertTrue(TestEngines.strayProcesses().isEmpty());
    }

    @Test
    void namesAreResolvedDocumentedAndHallucinationsFlagged() {
        InstalledApi api = engine.installedApi("toyanim");
        InstalledApi.Lookup lookup = api.lookup(PROGRAM);
        assertTrue(lookup.ok(), lookup.error());
        assertEquals("0.3.1", lookup.version());
        Map<String, InstalledApi.Entry> byName = lookup.entries().stream()
                .collect(Collectors.toMap(InstalledApi.Entry::name, e -> e, (a, b) -> a, java.util.LinkedHashMap::new));
        assertEquals(List.of("Circle", "Circle.shift", "Scene.play", "ShowCreation", "FadeOut", "Scene.wait", "Circle.spin"),
                List.copyOf(byName.keySet()), "order of first use; builtins, numpy and the program's own helper dropped");
        InstalledApi.Entry circle = byName.get("Circle");
        assertTrue(circle.resolved());
        assertEquals("(radius=1.0, **kwargs)", circle.signature());
        assertTrue(circle.doc().startsWith("A circle.") && circle.doc().contains("radius"), circle.doc());
        assertFalse(circle.doc().contains("Examples"), "docstrings are cut before their examples");
        assertTrue(byName.get("Circle.shift").resolved(), "inherited methods resolve through the class");
        assertEquals("(self, *animations, run_time=None)", byName.get("Scene.play").signature());
        assertFalse(byName.get("ShowCreation").resolved());
        assertFalse(byName.get("Circle.spin").resolved());
    }

    @Test
    void indexListsPublicNamesAndClassAttributes() {
        List<String> names = engine.installedApi("toyanim").names();
        assertTrue(names.containsAll(List.of("Circle", "Create", "Scene.play", "Circle.shift", "UP")), names.toString());
        assertTrue(names.stream().noneMatch(n -> n.startsWith("_") || n.contains("._")));
    }

    @Test
    void rdkitsIndexHasTheNamesOfItsSubmodules() {
        // rdkit's top level holds almost nothing (programs import rdkit.Chem, rdkit.Chem.Draw...); the index walks
        // the package's modules two levels down, so name-based defects have real rdkit names to work with.
        InstalledApi.Lookup probe = engine.installedApi("rdkit").lookup("from rdkit import Chem\n");
        org.junit.jupiter.api.Assumptions.assumeTrue(probe.ok(), "rdkit is not importable by the workers' Python: " + probe.error());
        List<String> names = engine.installedApi("rdkit").names();
        assertTrue(names.containsAll(List.of("Chem", "Chem.MolFromSmiles", "Chem.Draw.MolToImage", "Chem.AllChem.Compute2DCoords",
                "Chem.Mol.GetNumAtoms")), names.size() + " names");
        assertTrue(names.size() > 1000, "names from the submodules: " + names.size());
        assertTrue(names.stream().noneMatch(n -> n.startsWith("_") || n.contains("._")));
        assertTrue(names.stream().noneMatch(n -> n.endsWith(".path") && n.startsWith("Chem.os")), "re-exported modules are left out");
    }

    @Test
    void unparseableCodeGivesNoNamesAndMissingPackagesAreReported() {
        InstalledApi.Lookup broken = engine.installedApi("toyanim").lookup("def broken(:\n");
        assertTrue(broken.ok());
        assertTrue(broken.entries().isEmpty());
        InstalledApi.Lookup missing = engine.installedApi("no_such_package_xyz").lookup("Circle()");
        assertFalse(missing.ok());
        assertTrue(missing.error().contains("No module named"), missing.error());
        assertThrows(IllegalArgumentException.class, () -> engine.installedApi("os; rm -rf /"));
        assertThrows(IllegalArgumentException.class, () -> engine.installedApi("a.b"));
    }

    @Test
    void theProgramIsNeverRun() {
        String hostile = "import os\nos.system('touch /tmp/renderloop-apidoc-ran')\nCircle()\n";
        InstalledApi.Lookup lookup = engine.installedApi("toyanim").lookup(hostile);
        assertTrue(lookup.ok(), lookup.error());
        assertEquals(List.of("Circle"), lookup.entries().stream().map(InstalledApi.Entry::name).toList());
        assertFalse(java.nio.file.Files.exists(Path.of("/tmp/renderloop-apidoc-ran")));
    }
}
