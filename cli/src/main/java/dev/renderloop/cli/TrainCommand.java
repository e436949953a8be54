package dev.renderloop.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code renderloop train ...}: training the in-process model's LoRA adapter. One class per subcommand; `train report RUN` draws a run's curves. */
@Command(name = "train", description = "Train a LoRA adapter of the in-process model: SFT on reference code, GRPO with the "
        + "render reward. The adapter (PEFT format) loads with --adapter and local:MODEL+ADAPTER.",
        subcommands = {
            TrainSftCommand.class,
            TrainGrpoCommand.class,
            TrainReportCommand.class,
        })
final class TrainCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
