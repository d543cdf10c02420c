package io.fanout.cli;

import io.fanout.shared.model.JobEvent;
import java.io.PrintStream;
import java.time.Duration;

/** Draws a job's progress on one terminal line: bar, done/total, rate and ETA. */
final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private boolean drawn;

    ProgressBar(PrintStream out) {
        this.out = out;
    }

    void update(JobEvent event) {
        if (event.tasks() == null) {
            return;
        }
        out.print("\r" + line(event.tasks().done(), event.tasks().total(), event.tasks().failed(), Duration.ofNanos(System.nanoTime() - startNanos)));
        out.flush();
        drawn = true;
    }

    void finish() {
        if (drawn) {
            out.println();
        }
    }

    static String line(long done, long total, long failed, Duration elapsed) {
        double fraction = total == 0 ? 0 : Math.min(1.0, (double) done / total);
        int filled = (int) Math.round(fraction * WIDTH);
        double seconds = Math.max(elapsed.toMillis(), 1) / 1000.0;
        double rate = done / seconds;
        String eta = rate <= 0 || done >= total ? "-" : format(Duration.ofSeconds((long) Math.ceil((total - done) / rate)));
        return String.format("[%s%s] %,d/%,d tasks %3.0f%%  %,.0f tasks/s  ETA %s%s   ", "#".repeat(filled), ".".repeat(WIDTH - filled), done, total,
                fraction * 100, rate, eta, failed > 0 ? String.format("  (%,d failed)", failed) : "");
    }

    private static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
