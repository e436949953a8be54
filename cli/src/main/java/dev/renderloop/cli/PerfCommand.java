package dev.renderloop.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code renderloop perf ...}: speed benchmarks against the published approach, measured in the same run. */
@Command(name = "perf", description = "Speed benchmarks against the published approach, measured in the same run.",
        subcommands = {PerfRenderCommand.class, PerfRewardCommand.class, PerfBenchCommand.class, PerfScoreCommand.class,
                PerfModelCommand.class, PerfServeRewardCommand.class, PerfTrainCommand.class})
final class PerfCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
