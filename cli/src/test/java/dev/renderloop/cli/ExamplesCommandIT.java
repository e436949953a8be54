package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExamplesCommandIT {
    @TempDir
    Path cache;

    @Test
    void examples_rendersEveryBundledProgramOfEveryAvailableDomain_andNamesTheUnavailableOnes() {
        CliRun run = CliRun.of("examples", "--cache", cache.toString());
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("sandbox: "), run.out());
        int expected = 0;
        int available = 0;
        for (String domain : ExamplesCommand.DOMAINS) {
            boolean unavailable = run.out().contains("\n" + domain + ": unavailable (");
            assertTrue(unavailable || run.out().contains("\n" + domain + ": "), domain + " missing from\n" + run.out());
            if (!unavailable) {
                available++;
                expected += ExampleProgram.forDomain(domain).size();
                for (ExampleProgram p : ExampleProgram.forDomain(domain)) {
                    assertTrue(run.out().contains("  " + p.name() + " "), p.name() + " not listed");
                }
            }
        }
        assertTrue(available >= 6, "svg, smiles (in-process), html, matplotlib, rdkit and tikz (installed by scripts/test): " + run.out());
        Matcher m = Pattern.compile("summary: (\\d+) rendered, 0 failed, (\\d+) of (\\d+) domains available").matcher(run.out());
        assertTrue(m.find(), run.out());
        assertEquals(expected, Integer.parseInt(m.group(1)));
        assertEquals(available, Integer.parseInt(m.group(2)));
        assertEquals(ExamplesCommand.DOMAINS.size(), Integer.parseInt(m.group(3)));
    }
}
