package io.fanout.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PrimeCountTest {

    @Test
    void sieveCountsKnownPrimeTotals() {
        assertEquals(25, PrimeCount.countPrimes(0, 100));
        assertEquals(168, PrimeCount.countPrimes(0, 1000));
        assertEquals(664_579, PrimeCount.countPrimes(0, 10_000_000));
    }

    @Test
    void slicesCoverTheRangeExactlyOnce() {
        long total = 0;
        for (PrimeCount.Slice s : PrimeCount.slices(1_000_003, 7)) {
            total += PrimeCount.countPrimes(s.from(), s.to());
        }
        assertEquals(PrimeCount.countPrimes(0, 1_000_003), total);
    }
}
