package io.fanout.it;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Wraps a coordinator's real producer and runs a hook before each send that {@code which} matches,
 * with its number (1, 2, ...): a test pauses a coordinator in the middle of a stream of sends there,
 * to line two coordinators' work up exactly.
 */
final class HookedSends implements UnaryOperator<Producer<byte[], byte[]>> {

    private final Predicate<ProducerRecord<byte[], byte[]>> which;
    private final IntConsumer beforeSend;
    private final AtomicInteger seen = new AtomicInteger();

    HookedSends(Predicate<ProducerRecord<byte[], byte[]>> which, IntConsumer beforeSend) {
        this.which = which;
        this.beforeSend = beforeSend;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Producer<byte[], byte[]> apply(Producer<byte[], byte[]> real) {
        return (Producer<byte[], byte[]>) Proxy.newProxyInstance(Producer.class.getClassLoader(), new Class<?>[] {Producer.class}, (proxy, method, args) -> {
            if (method.getName().equals("send") && which.test((ProducerRecord<byte[], byte[]>) args[0])) {
                beforeSend.accept(seen.incrementAndGet());
            }
            try {
                return method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
