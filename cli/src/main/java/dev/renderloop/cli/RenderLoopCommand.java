package dev.renderloop.cli;

import dev.renderloop.model.ModelRuntimeUnavailableException;
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

    /**
     * How a user of the CLI gets the model runtime when a model command finds it missing (see
     * {@link dev.renderloop.model.ModelRuntime}).
     */
    static final String MODEL_RUNTIME_HINT = "The model commands (model, serve-model, perf model, local: policies) need"
            + " it; render, score, bench, report and the other commands do not. Install it once with"
            + " scripts/install-model-runtime (it fetches libtorch, about 110 MB, from Maven Central into ~/.m2 and puts"
            + " it in cli/target/model-runtime/ beside the jar, a build of 1-3 minutes); nothing is ever downloaded"
            + " while a command runs.";

    public static void main(String[] args) {
        // DJL must never fetch a native library at run time: the model runtime is installed or the command says so.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
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
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof ModelRuntimeUnavailableException missing) {
                    commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + missing.getMessage() + ".");
                    commandLine.getErr().println("  " + MODEL_RUNTIME_HINT);
                    return ExitCode.UNAVAILABLE;
                }
            }
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
