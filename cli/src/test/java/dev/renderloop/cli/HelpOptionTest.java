package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code renderloop ... SUBCOMMAND --help} prints that command's usage and exits 0, for every command and subcommand. */
class HelpOptionTest {
    /** Every command path, e.g. ["perf", "render"], walked from the command tree so that a new subcommand is covered too. */
    private static List<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        walk(new CommandLine(new RenderLoopCommand()), new ArrayList<>(), paths);
        return paths;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> into) {
        into.add(List.copyOf(path));
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getValue().getCommandSpec().userObject() instanceof CommandLine.HelpCommand) {
                continue;
            }
            List<String> sub = new ArrayList<>(path);
            sub.add(e.getKey());
            walk(e.getValue(), sub, into);
        }
    }

    @Test
    void everyCommand_helpOption_printsUsageAndExitsZero() {
        List<List<String>> paths = commandPaths();
        assertTrue(paths.size() >= 19, "walked " + paths);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertEquals(ExitCode.OK, run.exitCode(), args + ": " + run.out() + run.err());
            assertTrue(run.out().startsWith("Usage: renderloop"), args + ": " + run.out() + run.err());
            assertEquals("", run.err(), args.toString());
            // -h too, the short form every picocli command gets with the standard help options.
            args.set(args.size() - 1, "-h");
            assertEquals(ExitCode.OK, CliRun.of(args.toArray(String[]::new)).exitCode(), args.toString());
        }
    }

    @Test
    void policyHelp_listsLocal_andStrategyHelp_listsItsValues() {
        for (String command : List.of("bench", "generate")) {
            CliRun run = CliRun.of(command, "--help");
            // Without white space: picocli wraps the description where it likes.
            String flat = run.out().replaceAll("\\s+", "");
            assertTrue(flat.contains("local:MODEL_DIR"), command + ": " + run.out());
            assertTrue(flat.matches("(?s).*--strategy.*vanilla,ritl,ritl-doc.*ritl-vis.*"), command + ": " + run.out());
        }
        String demo = CliRun.of("demo", "--help").out().replaceAll("\\s+", "");
        assertTrue(demo.contains("local:MODEL_DIR"), demo);
    }
}
