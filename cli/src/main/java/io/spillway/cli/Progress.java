package io.spillway.cli;

import java.io.Console;
import java.io.PrintStream;
import java.util.function.Consumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars on stderr, so stdout stays clean for results. On a terminal the bar redraws in
 * place; elsewhere (CI logs, pipes) it prints a plain ASCII line every few seconds and at the end.
 */
final class Progress {

    private static final int NON_TTY_WIDTH = 100;
    private static final int NON_TTY_INTERVAL_MILLIS = 5_000;

    private Progress() {
    }

    /** A bar of {@code max} steps, counting in {@code unit} (e.g. "MiB" with {@code unitSize} 1 MiB). */
    static ProgressBar bar(String task, long max, String unit, long unitSize) {
        PrintStream err = System.err;
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(unit, unitSize).showSpeed();
        if (isTerminal()) {
            b.setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setConsumer(new ConsoleProgressBarConsumer(err))
                    .setUpdateIntervalMillis(200);
        } else {
            b.setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(NON_TTY_INTERVAL_MILLIS)
                    .setConsumer(new DelegatingProgressBarConsumer(new LinePrinter(err), NON_TTY_WIDTH));
        }
        return b.build();
    }

    /**
     * Prints a non-terminal bar as plain lines, skipping the empty first render and repeats (the
     * bar renders its final state twice: last refresh, then close).
     */
    private static final class LinePrinter implements Consumer<String> {
        private final PrintStream out;
        private String last;
        private boolean first = true;

        LinePrinter(PrintStream out) {
            this.out = out;
        }

        @Override
        public synchronized void accept(String line) {
            String l = line.strip();
            if (first) {
                first = false;
                last = l;
                return;
            }
            if (!l.equals(last)) {
                out.println(l);
                last = l;
            }
        }
    }

    /** Whether stderr and stdout go to a terminal; since JDK 22 a Console exists even when they do not. */
    static boolean isTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal() && System.getenv("CI") == null;
    }
}
