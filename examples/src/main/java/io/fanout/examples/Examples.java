package io.fanout.examples;

import io.fanout.executor.api.Processor;
import java.util.Map;

/** The bundled example processors by name. */
public final class Examples {

    private Examples() {
    }

    public static Map<String, Processor> all() {
        return Map.of(PrimeCount.NAME, new PrimeCount(), Greeter.NAME, new Greeter(), NoOp.NAME, new NoOp());
    }
}
