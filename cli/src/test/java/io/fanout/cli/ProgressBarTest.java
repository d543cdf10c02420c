package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    void showsDoneTotalRateAndEta() {
        String line = ProgressBar.line(500, 2000, 0, 500, Duration.ofSeconds(5));
        assertTrue(line.contains("500/2,000 tasks"), line);
        assertTrue(line.contains(" 25%"), line);
        assertTrue(line.contains("100 tasks/s"), line);
        assertTrue(line.contains("ETA 15s"), line);
    }

    @Test
    void showsFailuresAndNoEtaWhenDone() {
        String line = ProgressBar.line(2000, 2000, 3, 2000, Duration.ofSeconds(4));
        assertTrue(line.contains("ETA -"), line);
        assertTrue(line.contains("(3 failed)"), line);
    }
}
