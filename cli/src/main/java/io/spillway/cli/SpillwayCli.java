package io.spillway.cli;

import io.spillway.engine.config.ConfigException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code spillway} command, run by the {@code ./spillway} launcher.
 *
 * <p>Exit codes: 0 success; 1 a failure at run time (an IO error, a block that did not verify);
 * 2 a usage or configuration error (a bad option, a bad config value). Errors print one line;
 * {@code --verbose} adds the stack trace and debug logging.
 */
@Command(name = "spillway",
        mixinStandardHelpOptions = true,
        versionProvider = SpillwayCli.Version.class,
        description = "Spillway: an embeddable KV-cache offload store.",
        subcommands = {DemoCommand.class, StatsCommand.class, BenchCommand.class, ThroughputCommand.class, LookupCommand.class,
                GcCommand.class, ReplayCommand.class, FsckCommand.class, RebuildIndexCommand.class, InspectCommand.class,
                RecoveryBenchCommand.class, GpuCheckCommand.class, ServeCommand.class, ServeBenchCommand.class,
                CommandLine.HelpCommand.class})
public final class SpillwayCli implements Runnable {

    /** A run-time failure: IO errors, mismatched bytes, failed tasks. */
    public static final int EXIT_FAILURE = 1;
    /** A usage or configuration error. */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

    private boolean verbose;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces on errors, and debug logs (one line per task).")
    void setVerbose(boolean verbose) {
        this.verbose = verbose;
        if (verbose) {
            // Read when the first logger is created, which happens after options are parsed.
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this rather than {@link #main}). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line with Spillway's error handling. */
    public static CommandLine commandLine() {
        configureLogging();
        SpillwayCli top = new SpillwayCli();
        CommandLine cl = new CommandLine(top);
        cl.setParameterExceptionHandler(SpillwayCli::usageError);
        cl.setExecutionExceptionHandler((e, cmd, parseResult) -> top.executionError(e, cmd));
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A bad option or argument: one line naming the problem and where to get help, exit 2. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getColorScheme().errorText(cmd.getCommandName() + ": " + e.getMessage()
                + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')"));
        err.flush();
        return EXIT_USAGE;
    }

    private int executionError(Exception e, CommandLine cmd) {
        PrintWriter err = cmd.getErr();
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        int code;
        String message;
        if (cause instanceof ConfigException) {
            code = EXIT_USAGE;
            message = cause.getMessage();
        } else if (cause instanceof IOException) {
            code = EXIT_FAILURE;
            message = describe(cause);
        } else if (cause instanceof IllegalArgumentException) {
            code = EXIT_USAGE;
            message = cause.getMessage();
        } else {
            code = EXIT_FAILURE;
            message = describe(cause);
        }
        err.println(cmd.getColorScheme().errorText(cmd.getCommandName() + ": " + message));
        if (verbose) {
            cause.printStackTrace(err);
        } else if (!(cause instanceof IOException || cause instanceof IllegalArgumentException)) {
            err.println("(run with --verbose for the stack trace)");
        }
        err.flush();
        return code;
    }

    /** The message, with the exception's type where the message alone would be unclear. */
    private static String describe(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getName();
        }
        if (t instanceof FileSystemException fse) {
            return t.getClass().getSimpleName() + ": " + fse.getMessage();
        }
        return t instanceof IOException || t instanceof IllegalStateException ? m : t.getClass().getSimpleName() + ": " + m;
    }

    /** slf4j-simple: short logger names, no thread names, to stderr; unless already set with -D. */
    private static void configureLogging() {
        setDefault("org.slf4j.simpleLogger.logFile", "System.err");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
        setDefault("org.slf4j.simpleLogger.showThreadName", "false");
        setDefault("org.slf4j.simpleLogger.levelInBrackets", "true");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** The version from the jar manifest (Implementation-Version), or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"spillway " + version(), "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }

        static String version() {
            String v = SpillwayCli.class.getPackage().getImplementationVersion();
            return v == null ? "dev" : v;
        }
    }
}
