package dev.renderloop.cli;

import dev.renderloop.data.BuildOptions;
import dev.renderloop.data.BuildReport;
import dev.renderloop.data.Corpus;
import dev.renderloop.data.DatasetBuilder;
import dev.renderloop.data.ReportText;
import dev.renderloop.render.RenderEngine;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code renderloop data build}: render, filter, seed defects, export; the same command again resumes. */
@Command(name = "build", description = "Render every reference program of the sources, drop failures and duplicates, seed "
        + "defects for the visual-code-optimisation task, and write text2code, image2code and optimise datasets (JSONL and "
        + "Parquet in the chat messages layout, images as files) with a dataset card, samples.html and report.json. "
        + "Resumable: the same command again renders only what is missing.")
final class DataBuildCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "SOURCE", split = ",",
            description = "svg, smiles, rdkit, html, tikz (bundled suites), manimbench:PATH (JSONL or parquet), a JSONL suite "
                    + "file, or a Parquet corpus (id, domain, code, description). Repeat or separate with commas.")
    List<String> sources;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Dataset folder.")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Defect seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--defects", defaultValue = "3", paramLabel = "N", description = "Defects tried per kept program (default: ${DEFAULT-VALUE}).")
    int defects;

    @Option(names = "--visible-below", defaultValue = "0.95", paramLabel = "X",
            description = "Keep a defect that renders when its corrected visual score is below X (default: ${DEFAULT-VALUE}).")
    double visibleBelow;

    @Option(names = "--code-jaccard", defaultValue = "0.9", paramLabel = "X",
            description = "Near-duplicate code at token-shingle Jaccard >= X (default: ${DEFAULT-VALUE}).")
    double codeJaccard;

    @Option(names = "--render-ssim", defaultValue = "0.995", paramLabel = "X",
            description = "Near-identical renders at grey SSIM >= X (default: ${DEFAULT-VALUE}).")
    double renderSsim;

    @Option(names = "--split", description = "ManimBench split filter (e.g. train).")
    String split;

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N programs of each source.")
    Integer limit;

    @Option(names = "--concurrency", paramLabel = "N", description = "Renders at once (default: the render workers).")
    Integer concurrency;

    @Option(names = "--samples", defaultValue = "6", paramLabel = "N", description = "Pairs per domain on samples.html (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter o = spec.commandLine().getOut();
        List<Corpus> corpora = new ArrayList<>();
        BuildOptions options;
        int workers = engineOptions.workers != null ? engineOptions.workers : Runtime.getRuntime().availableProcessors();
        try {
            options = new BuildOptions(seed, defects, visibleBelow, codeJaccard, renderSsim, concurrency != null ? concurrency : workers, samples);
            for (String s : sources) {
                corpora.add(Corpus.load(s.strip(), split, limit));
            }
        } catch (IllegalArgumentException e) {
            err.println("renderloop data build: " + e.getMessage());
            return ExitCode.USAGE;
        }
        try (RenderEngine engine = engineOptions.builder().build()) {
            DatasetBuilder.Builder b = DatasetBuilder.builder().engine(engine).out(out).options(options)
                    .apiNames(p -> engine.installedApi(p).names())
                    .command(commandLine())
                    .progress(quiet ? null : new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true));
            corpora.forEach(b::source);
            BuildReport r;
            try {
                r = b.build().build();
            } catch (IllegalStateException e) {
                err.println("renderloop data build: " + e.getMessage());
                return e.getMessage().contains("cannot render here") ? ExitCode.UNAVAILABLE : ExitCode.USAGE;
            }
            ReportText.print(o, r);
            return ExitCode.OK;
        }
    }

    /** The command as typed, for the dataset card (the launcher's name, then the arguments). */
    private String commandLine() {
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        StringBuilder b = new StringBuilder("renderloop");
        for (String a : args) {
            b.append(' ').append(a.matches("[A-Za-z0-9_./:=,@+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }
}
