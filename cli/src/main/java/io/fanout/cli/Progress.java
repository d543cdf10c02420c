package io.fanout.cli;

import io.fanout.shared.model.JobEvent;
import java.io.Console;
import java.io.PrintStream;
import java.time.Duration;

/**
 * How a job's progress shows while a command waits for it: a bar redrawn in place when stdout is a
 * terminal (a person watches), plain lines every few seconds otherwise (a log or a script reads it,
 * and carriage returns would garble it).
 */
interface Progress {

    /** How often plain progress lines are printed at most. */
    Duration LINE_INTERVAL = Duration.ofSeconds(5);

    /** Shows the counts of a job event (events without counts are ignored). */
    void update(JobEvent event);

    /** Ends the display; the job's outcome is printed after it. */
    void finish();

    /** A bar when stdout is a terminal, plain lines otherwise; either way on {@code out}. */
    static Progress on(PrintStream out) {
        return stdoutIsTerminal() ? new ProgressBar(out) : new ProgressLines(out, LINE_INTERVAL);
    }

    /** True when this process talks to a terminal (stdin and stdout), not to a pipe or a file. */
    static boolean stdoutIsTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // JDK 22 and later always have a console object; it says whether it is a terminal
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // JDK 21: a console exists only for a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /**
     * done/total, percentage, rate, ETA and failures, as both kinds of display show them; the rate
     * from the tasks done while this display ran ({@code doneMeanwhile} in {@code elapsed}).
     */
    static String counts(long done, long total, long failed, long doneMeanwhile, Duration elapsed) {
        double fraction = total == 0 ? 0 : Math.min(1.0, (double) done / total);
        double seconds = Math.max(elapsed.toMillis(), 1) / 1000.0;
        double rate = doneMeanwhile / seconds;
        String eta = rate <= 0 || done >= total ? "-" : format(Duration.ofSeconds((long) Math.ceil((total - done) / rate)));
        return String.format("%,d/%,d tasks %3.0f%%  %,.0f tasks/s  ETA %s%s", done, total, fraction * 100, rate, eta,
                failed > 0 ? String.format("  (%,d failed)", failed) : "");
    }

    private static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
