package dev.renderloop.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code renderloop train ...}: training runs and their reports. */
@Command(name = "train", description = "Train a LoRA adapter (SFT, GRPO) and report on training runs.",
        subcommands = {TrainReportCommand.class})
final class TrainCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
