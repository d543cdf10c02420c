package io.fanout.it;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Wraps a coordinator's real producer so that chosen sends fail, as a send after a commit fails
 * when the broker is away too long or the process dies before it: the record never reaches Kafka.
 * Everything else goes to the real producer.
 */
final class FailingSends implements UnaryOperator<Producer<byte[], byte[]>> {

    private final AtomicReference<Predicate<ProducerRecord<byte[], byte[]>>> failing = new AtomicReference<>(r -> false);
    private final AtomicInteger failed = new AtomicInteger();

    /** Fails the sends {@code which} matches from now on. */
    FailingSends failWhen(Predicate<ProducerRecord<byte[], byte[]>> which) {
        failing.set(which);
        return this;
    }

    /** Fails the {@code n}th send that {@code which} matches (counting from now), and only that one. */
    FailingSends failNth(int n, Predicate<ProducerRecord<byte[], byte[]>> which) {
        AtomicInteger seen = new AtomicInteger();
        return failWhen(r -> which.test(r) && seen.incrementAndGet() == n);
    }

    /** Sends go through again. */
    void heal() {
        failing.set(r -> false);
    }

    /** How many sends were made to fail. */
    int failed() {
        return failed.get();
    }

    @Override
    @SuppressWarnings("unchecked")
    public Producer<byte[], byte[]> apply(Producer<byte[], byte[]> real) {
        return (Producer<byte[], byte[]>) Proxy.newProxyInstance(Producer.class.getClassLoader(), new Class<?>[] {Producer.class}, (proxy, method, args) -> {
            if (method.getName().equals("send") && failing.get().test((ProducerRecord<byte[], byte[]>) args[0])) {
                failed.incrementAndGet();
                TimeoutException e = new TimeoutException("injected: this record never reached the broker");
                if (args.length == 2 && args[1] != null) {
                    ((Callback) args[1]).onCompletion(null, e);
                }
                return CompletableFuture.failedFuture(e);
            }
            try {
                return method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
