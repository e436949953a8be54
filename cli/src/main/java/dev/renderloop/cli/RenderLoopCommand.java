package dev.renderloop.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code renderloop} launcher. One class per subcommand; exceptions map to exit codes here only. */
@Command(name = "renderloop", mixinStandardHelpOptions = true, versionProvider = RenderLoopCommand.Version.class,
        description = "Generate visual code with language models and check it by rendering.",
        subcommands = {RenderCommand.class, DemoCommand.class, ExamplesCommand.class, GenerateCommand.class, ScoreCommand.class, ModelCommand.class, ServeModelCommand.class, ServeRewardCommand.class,
                BenchCommand.class, CompareCommand.class, ReportCommand.class, PerfCommand.class, SuiteCommand.class, DataCommand.class, TrainCommand.class,
                CommandLine.HelpCommand.class})
public final class RenderLoopCommand implements Runnable {

    @Option(names = "--stacktrace", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of internal errors.")
    boolean stacktrace;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Lucene says at every start that the incubating Vector API is not enabled; its scalar code is what we use.
     * Held in a field: JUL keeps loggers weakly, and a collected logger forgets its level.
     */
    private static final java.util.logging.Logger LUCENE_VECTOR_LOG =
            java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization");

    public static void main(String[] args) {
        LUCENE_VECTOR_LOG.setLevel(java.util.logging.Level.SEVERE);
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI in-process (tests call this). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new RenderLoopCommand());
        addHelpOptions(cli);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(t -> ExitCode.INTERNAL);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean trace = parseResult.hasMatchedOption("--stacktrace");
            commandLine.getErr().println("renderloop: internal error: " + e);
            if (trace) {
                e.printStackTrace(commandLine.getErr());
            } else {
                commandLine.getErr().println("(rerun with --stacktrace for details)");
            }
            return ExitCode.INTERNAL;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("renderloop: " + e.getMessage());
            e.getCommandLine().usage(e.getCommandLine().getErr());
            return ExitCode.USAGE;
        });
        return cli.execute(args);
    }

    /**
     * Gives every subcommand, however deep, {@code -h/--help}: picocli answers it before it checks required options,
     * so {@code renderloop bench --help} prints the usage and exits 0. Added to the built tree so that a new subcommand
     * cannot forget it; the top command has it (and {@code --version}) from its annotation.
     */
    private static void addHelpOptions(CommandLine cl) {
        CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
        if (spec.findOption("--help") == null && !(spec.userObject() instanceof CommandLine.HelpCommand)) {
            spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                    .description("Show this help message and exit.").build());
        }
        for (CommandLine sub : cl.getSubcommands().values()) {
            addHelpOptions(sub);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = RenderLoopCommand.class.getPackage().getImplementationVersion();
            return new String[] {"renderloop " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
