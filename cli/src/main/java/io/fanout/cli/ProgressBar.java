package io.fanout.cli;

import io.fanout.shared.model.JobEvent;
import java.io.PrintStream;
import java.time.Duration;

/** Draws a job's progress on one terminal line, redrawn in place: bar, done/total, rate and ETA. */
final class ProgressBar implements Progress {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private long firstDone = -1;
    private boolean drawn;

    ProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public void update(JobEvent event) {
        if (event.tasks() == null) {
            return;
        }
        if (firstDone < 0) {
            firstDone = event.tasks().done(); // watching a job under way: the rate counts what is done from now on
        }
        out.print("\r" + line(event.tasks().done(), event.tasks().total(), event.tasks().failed(), event.tasks().done() - firstDone,
                Duration.ofNanos(System.nanoTime() - startNanos)));
        out.flush();
        drawn = true;
    }

    @Override
    public void finish() {
        if (drawn) {
            out.println();
        }
    }

    static String line(long done, long total, long failed, long doneMeanwhile, Duration elapsed) {
        double fraction = total == 0 ? 0 : Math.min(1.0, (double) done / total);
        int filled = (int) Math.round(fraction * WIDTH);
        return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + Progress.counts(done, total, failed, doneMeanwhile, elapsed) + "   ";
    }
}
