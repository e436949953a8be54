package dev.renderloop.cli;

import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.task.Suite;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code renderloop suite ...}: the bundled suites. */
@Command(name = "suite", description = "Bundled task suites.", subcommands = {SuiteCommand.Targets.class})
final class SuiteCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code renderloop suite targets --domain D [--out DIR]}: renders every task's reference code and
     * writes {@code ID.png} into DIR, by default the suite's {@code targets/} folder in this source
     * tree. The committed target images are this command's output.
     */
    @Command(name = "targets", description = "Render a bundled suite's reference code into its target images.")
    static final class Targets implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--domain", required = true, description = "Suite to render: ${COMPLETION-CANDIDATES}.",
                completionCandidates = BundledDomains.class)
        String domain;

        @Option(names = "--out", paramLabel = "DIR",
                description = "Where to write ID.png (default: task/src/main/resources/dev/renderloop/task/suites/DOMAIN/targets).")
        Path out;

        @Mixin
        EngineOptions engineOptions;

        @Override
        public Integer call() throws Exception {
            PrintWriter o = spec.commandLine().getOut();
            Suite suite;
            try {
                suite = Suites.bundled(domain);
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("renderloop suite targets: " + e.getMessage());
                return ExitCode.USAGE;
            }
            Path dir = out != null ? out : Path.of("task/src/main/resources/dev/renderloop/task/suites", domain, "targets");
            Files.createDirectories(dir);
            List<String> failed = new ArrayList<>();
            engineOptions.noCache = true;  // targets must come from a real render, not an older cache entry
            try (RenderEngine engine = engineOptions.builder().build()) {
                var availability = engine.availability(domain);
                if (!availability.available()) {
                    o.printf("%s unavailable: %s%n", domain, availability.detail());
                    return ExitCode.UNAVAILABLE;
                }
                for (Task t : suite.tasks()) {
                    RenderResult r = engine.render(RenderRequest.of(domain, t.code()));
                    if (r.ok()) {
                        Files.copy(r.lastFrame(), dir.resolve(t.id() + ".png"), StandardCopyOption.REPLACE_EXISTING);
                        o.printf("  %-12s ok     %5d ms%n", t.id(), r.millis());
                    } else {
                        failed.add(t.id());
                        o.printf("  %-12s %-6s %s%n", t.id(), r.errorKind().wireName(), r.errorTail(1));
                    }
                }
            }
            o.printf("%s: %d of %d targets written to %s%n", suite.name(), suite.size() - failed.size(), suite.size(), dir);
            return failed.isEmpty() ? ExitCode.OK : ExitCode.RENDER_FAILED;
        }
    }

    /** Completion candidates for --domain. */
    static final class BundledDomains extends ArrayList<String> {
        BundledDomains() {
            super(Suites.BUNDLED);
        }
    }

}
