package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressLinesTest {

    private static JobEvent progress(long done, long total) {
        return new JobEvent(JobEvent.Type.PROGRESS, null, null, "p", JobState.RUNNING, new JobEvent.TaskCounts(total, done, 0), null, null, null, null, null);
    }

    @Test
    void printsTheFirstCountsThenAtMostOneLineAnIntervalAndTheLastCounts() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLines lines = new ProgressLines(new PrintStream(bytes, true, StandardCharsets.UTF_8), Duration.ofHours(1));
        lines.update(progress(10, 100));
        lines.update(progress(20, 100));
        lines.update(new JobEvent(JobEvent.Type.ACCEPTED, null, null, "p", JobState.RUNNING, null, null, null, null, null, null)); // no counts
        lines.update(progress(100, 100));
        lines.finish();
        List<String> out = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, out.size(), out.toString());
        assertEquals(true, out.get(0).startsWith("progress: 10/100 tasks  10%"), out.get(0));
        assertEquals(true, out.get(1).startsWith("progress: 100/100 tasks 100%"), out.get(1));
    }

    @Test
    void theRateCountsOnlyWhatWasDoneWhileWatching() {
        // a watch that starts at 1,855 of 2,001 done has seen none done yet: no rate, no ETA
        assertEquals("1,855/2,001 tasks  93%  0 tasks/s  ETA -", Progress.counts(1855, 2001, 0, 0, Duration.ofMillis(1)));
        assertEquals("1,955/2,001 tasks  98%  50 tasks/s  ETA 1s", Progress.counts(1955, 2001, 0, 100, Duration.ofSeconds(2)));
    }
}
