package io.fanout.cli;

import io.fanout.shared.model.JobEvent;
import java.io.PrintStream;
import java.time.Duration;

/** A job's progress as plain lines, for a log or a pipe: the first counts, then at most one line per interval, and the last counts at the end. */
final class ProgressLines implements Progress {

    private final PrintStream out;
    private final long intervalNanos;
    private final long startNanos = System.nanoTime();
    private long lastPrinted = Long.MIN_VALUE;
    private long firstDone = -1;
    private JobEvent.TaskCounts latest;
    private boolean latestPrinted = true;

    ProgressLines(PrintStream out, Duration interval) {
        this.out = out;
        this.intervalNanos = interval.toNanos();
    }

    @Override
    public void update(JobEvent event) {
        if (event.tasks() == null) {
            return;
        }
        latest = event.tasks();
        if (firstDone < 0) {
            firstDone = latest.done(); // watching a job under way: the rate counts what is done from now on
        }
        latestPrinted = false;
        long now = System.nanoTime();
        if (lastPrinted == Long.MIN_VALUE || now - lastPrinted >= intervalNanos) {
            print(now);
        }
    }

    @Override
    public void finish() {
        if (!latestPrinted) {
            print(System.nanoTime());
        }
    }

    private void print(long now) {
        out.println("progress: " + Progress.counts(latest.done(), latest.total(), latest.failed(), latest.done() - firstDone, Duration.ofNanos(now - startNanos)));
        out.flush();
        lastPrinted = now;
        latestPrinted = true;
    }
}
