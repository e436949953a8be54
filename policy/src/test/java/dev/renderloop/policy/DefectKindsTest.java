package dev.renderloop.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DefectKindsTest {
    private static final String MPL = """
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(4, 3))
            for i in range(5):
                ax.bar(i, i * 2, color="red")
            ax.plot([0, 4], [1, 2], color="blue")
            ax.set_title("bars")
            plt.savefig("out.png")
            """;
    private static final Set<String> API = Set.of("subplots", "bar", "barh", "plot", "set_title", "set_xlabel", "savefig",
            "Axes.bar", "Axes.plot", "Axes.set_title");

    @Test
    void oracleKindsAreTheFirstFourInTheirOldOrder() {
        assertEquals(List.of(Defect.Kind.API_TYPO, Defect.Kind.WRONG_KEYWORD, Defect.Kind.REMOVED_IMPORT, Defect.Kind.WRONG_COLOUR),
                DefectSeeder.ORACLE_KINDS);
    }

    @Test
    void everyPythonKindHasASiteInAMatplotlibProgram() {
        for (Defect.Kind kind : DefectSeeder.kinds("matplotlib")) {
            DefectSeeder.Seeded s = DefectSeeder.seed(MPL, "matplotlib", kind, new Random(1), API);
            assertNotNull(s, kind.toString());
            assertNotEquals(MPL, s.code(), kind.toString());
            assertEquals(kind, s.defect().kind());
        }
    }

    @Test
    void seedingIsReproducible() {
        for (Defect.Kind kind : DefectSeeder.kinds("matplotlib")) {
            assertEquals(DefectSeeder.seed(MPL, "matplotlib", kind, new Random(7), API),
                    DefectSeeder.seed(MPL, "matplotlib", kind, new Random(7), API));
        }
    }

    @Test
    void apiRenameIsAbsentFromTheApiAndApiSwapIsPresent() {
        for (int seed = 0; seed < 20; seed++) {
            Defect rename = DefectSeeder.seed(MPL, "matplotlib", Defect.Kind.API_RENAME, new Random(seed), API).defect();
            assertTrue(API.contains(rename.before()), rename.toString());
            assertFalse(API.contains(rename.after()), rename.toString());
            Defect swap = DefectSeeder.seed(MPL, "matplotlib", Defect.Kind.API_SWAP, new Random(seed), API).defect();
            assertTrue(API.contains(swap.after()), swap.toString());
            assertNotEquals(swap.before(), swap.after());
        }
    }

    @Test
    void apiKindsNeedTheApiNames() {
        assertNull(DefectSeeder.seed(MPL, "matplotlib", Defect.Kind.API_RENAME, new Random(1), List.of()));
        assertNull(DefectSeeder.seed(MPL, "matplotlib", Defect.Kind.API_SWAP, new Random(1), null));
    }

    @Test
    void hallucinationsLookLikeModelMistakes() {
        assertTrue(MoreDefects.hallucinations("set_color").containsAll(List.of("setColor", "set_colour")));
        assertTrue(MoreDefects.hallucinations("FadeIn").contains("fade_in"));
        assertFalse(MoreDefects.hallucinations("plot").contains("plot"));
    }

    @Test
    void offByOneChangesARangeBoundByOne() {
        Defect d = DefectSeeder.seed(MPL, "matplotlib", Defect.Kind.OFF_BY_ONE, new Random(3), API).defect();
        assertEquals("5", d.before());
        assertEquals(1, Math.abs(Integer.parseInt(d.after()) - 5));
    }

    @Test
    void removedStatementKeepsTheProgramsBlocks() {
        for (int seed = 0; seed < 20; seed++) {
            DefectSeeder.Seeded s = DefectSeeder.seed(MPL, "matplotlib", Defect.Kind.REMOVED_STATEMENT, new Random(seed), API);
            // the loop body is the only statement of its block: it must never be the one removed
            assertTrue(s.code().contains("ax.bar(i"), s.defect().toString());
        }
    }

    @Test
    void smilesAtomsAndBonds() {
        DefectSeeder.Seeded atom = DefectSeeder.seed("CC(=O)O", "smiles", Defect.Kind.SMILES_ATOM, new Random(2), List.of());
        assertNotEquals("CC(=O)O", atom.code());
        assertEquals(7, atom.code().length());
        DefectSeeder.Seeded bond = DefectSeeder.seed("C1=CC=CC=C1", "smiles", Defect.Kind.SMILES_BOND, new Random(2), List.of());
        assertNotEquals("C1=CC=CC=C1", bond.code());
        assertNull(DefectSeeder.seed("CCO", "smiles", Defect.Kind.API_TYPO, new Random(2), List.of()));
        String rdkit = "from rdkit import Chem\nm = Chem.MolFromSmiles(\"CCO\")\n";
        DefectSeeder.Seeded inPython = DefectSeeder.seed(rdkit, "rdkit", Defect.Kind.SMILES_ATOM, new Random(1), List.of());
        assertTrue(inPython.code().startsWith("from rdkit import Chem\nm = Chem.MolFromSmiles(\""), inPython.code());
        assertNotEquals(rdkit, inPython.code());
    }

    @Test
    void svgPerturbations() {
        String svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\"><circle cx=\"20\" cy=\"30\" r=\"10\" fill=\"red\"/>"
                + "<circle cx=\"70\" cy=\"30\" r=\"10\" fill=\"blue\"/><path d=\"M 10 90 L 90 90\" stroke=\"black\"/></svg>";
        Set<Defect.Kind> kinds = EnumSet.of(Defect.Kind.SVG_ATTRIBUTE, Defect.Kind.SVG_PATH, Defect.Kind.SWAPPED_POSITIONS,
                Defect.Kind.SWAPPED_COLOURS, Defect.Kind.REMOVED_STATEMENT, Defect.Kind.MISSING_ARGUMENT);
        for (Defect.Kind kind : kinds) {
            DefectSeeder.Seeded s = DefectSeeder.seed(svg, "svg", kind, new Random(4), List.of());
            assertNotNull(s, kind.toString());
            assertNotEquals(svg, s.code(), kind.toString());
            assertTrue(s.code().startsWith("<svg") && s.code().endsWith("</svg>"), s.code());
        }
        String swapped = DefectSeeder.seed(svg, "svg", Defect.Kind.SWAPPED_POSITIONS, new Random(4), List.of()).code();
        assertTrue(swapped.contains("cx=\"70\" cy=\"30\" r=\"10\" fill=\"red\""), swapped);
    }

    @ParameterizedTest
    @ValueSource(strings = {"svg", "smiles", "rdkit", "html", "tikz"})
    void bundledSuitesHaveSitesForMostKinds(String domain) {
        Set<Defect.Kind> seen = EnumSet.noneOf(Defect.Kind.class);
        for (Task task : Suites.bundled(domain).tasks()) {
            for (Defect.Kind kind : DefectSeeder.kinds(domain)) {
                DefectSeeder.Seeded s = DefectSeeder.seed(task.code(), domain, kind, new Random(5), API);
                if (s != null) {
                    assertNotEquals(task.code(), s.code(), task.id() + " " + kind);
                    seen.add(kind);
                }
            }
        }
        assertTrue(seen.size() >= Math.min(4, DefectSeeder.kinds(domain).size()), domain + ": " + seen);
    }
}
