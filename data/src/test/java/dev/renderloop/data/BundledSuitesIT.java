package dev.renderloop.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.renderloop.render.RenderEngine;
import dev.renderloop.task.Suites;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build on every bundled suite this machine can render (svg, smiles in-process; rdkit and tikz on the Python
 * workers; html on Chromium), with the installed RDKit's names for the name defects: counts, rejection reasons, the
 * defect-type histogram and the samples page. Domains whose renderer is missing are left out and named.
 */
class BundledSuitesIT {
    /** Cache and dataset only: the workers' scratch stays the engine's default, which the sandboxed user can read. */
    @TempDir
    Path dir;

    @Test
    void everyBundledSuiteBuilds() throws Exception {
        Path out = dir.resolve("ds");
        try (RenderEngine engine = RenderEngine.builder().cacheDir(dir.resolve("cache")).build()) {
            DatasetBuilder.Builder b = DatasetBuilder.builder().engine(engine).out(out).options(BuildOptions.defaults().withDefectsPerProgram(2))
                    .apiNames(p -> engine.installedApi(p).names()).command("BundledSuitesIT");
            List<String> included = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (String domain : Suites.BUNDLED) {
                if (engine.availability(domain).available()) {
                    b.source(Corpus.load(domain, null, null));
                    included.add(domain);
                } else {
                    missing.add(domain + " (" + engine.availability(domain).detail() + ")");
                }
            }
            assumeTrue(included.size() > 2, "only the in-process domains can render here; missing: " + missing);
            BuildReport r = b.build().build();
            StringWriter text = new StringWriter();
            ReportText.print(new PrintWriter(text, true), r);
            System.out.println("bundled suites (left out: " + missing + ")\n" + text);
            for (String domain : included) {
                BuildReport.DomainCounts c = r.domains().get(domain);
                assertEquals(Suites.bundled(domain).size(), c.programs(), domain);
                assertTrue(c.kept() >= c.programs() * 3 / 4, domain + ": most bundled references render and are distinct: " + c);
                // html pages are large (1280x800): most small defects stay above the visible-difference threshold
                assertTrue(c.optimisation() >= c.kept() / 4, domain + ": " + c + " " + r.defectKinds().get(domain));
            }
            if (included.contains("rdkit")) {
                assertTrue(r.apiNames().get("rdkit").matches("\\d+ names of the installed rdkit"), r.apiNames().toString());
                assertTrue(r.defectKinds().get("rdkit").containsKey("smiles_atom"), r.defectKinds().get("rdkit").toString());
            }
            String html = Files.readString(out.resolve("samples.html"));
            for (String domain : included) {
                assertTrue(html.contains("<h2>" + domain + "</h2>"), domain);
            }
        }
    }
}
