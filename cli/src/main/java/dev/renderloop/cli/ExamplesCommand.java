package dev.renderloop.cli;

import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.Renderer;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop examples}: renders the bundled example programs (or, for svg and smiles, the bundled
 * suites' reference code) of every available domain and prints a summary: a quick check of what this
 * machine can render.
 */
@Command(name = "examples", description = "Render the bundled example programs of every available domain and print a summary.")
final class ExamplesCommand implements Callable<Integer> {
    static final List<String> DOMAINS = List.of("svg", "smiles", "html", "matplotlib", "rdkit", "tikz", "manim");

    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        int rendered = 0;
        int failed = 0;
        int availableDomains = 0;
        try (RenderEngine engine = engineOptions.builder().build()) {
            out.println("sandbox: " + engine.sandboxDescription());
            for (String domain : DOMAINS) {
                Renderer.Availability a = engine.availability(domain);
                out.println();
                if (!a.available()) {
                    out.printf("%s: unavailable (%s)%n", domain, a.detail());
                    continue;
                }
                availableDomains++;
                out.printf("%s: %s%n", domain, a.detail());
                out.printf("  %-24s %-6s %-16s %7s %6s  %s%n", "program", "status", "error kind", "ms", "cached", "last frame");
                for (ExampleProgram p : ExampleProgram.forDomain(domain)) {
                    RenderResult r = engine.render(RenderRequest.of(domain, p.code()));
                    if (r.ok()) {
                        rendered++;
                    } else {
                        failed++;
                    }
                    out.printf("  %-24s %-6s %-16s %7d %6s  %s%n", p.name(), r.status(),
                            r.ok() ? "-" : r.errorKind().wireName(), r.millis(), r.cached() ? "yes" : "no",
                            r.ok() ? r.lastFrame() : firstLine(r.error()));
                }
            }
        }
        out.println();
        out.printf("summary: %d rendered, %d failed, %d of %d domains available%n", rendered, failed, availableDomains, DOMAINS.size());
        return failed == 0 && availableDomains > 0 ? ExitCode.OK : ExitCode.RENDER_FAILED;
    }

    private static String firstLine(String s) {
        List<String> lines = s.lines().toList();
        return lines.isEmpty() ? "" : lines.getLast();
    }
}
