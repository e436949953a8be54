package dev.renderloop.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code renderloop data}: training data from render feedback. */
@Command(name = "data", description = "Build training datasets by rendering reference programs.",
        subcommands = {DataBuildCommand.class, CommandLine.HelpCommand.class})
final class DataCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
