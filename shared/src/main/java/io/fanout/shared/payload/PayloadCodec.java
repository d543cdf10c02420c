package io.fanout.shared.payload;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.serializers.TimeSerializers;
import com.esotericsoftware.kryo.util.Pool;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Kryo serialization of user payloads and results, with class registration required: every class
 * written must be declared up front (in the same order on every executor), so an executor never
 * meets bytes it cannot read. Writing an undeclared class fails here, at the writer, naming it.
 * Thread-safe (a pool of Kryo instances).
 */
public final class PayloadCodec {

    /** Classes every codec knows, registered before the processor's own, always in this order. */
    private static final List<Class<?>> COMMON = List.of(
            byte[].class, int[].class, long[].class, double[].class, String[].class, Object[].class,
            ArrayList.class, LinkedList.class, HashMap.class, LinkedHashMap.class, TreeMap.class, HashSet.class,
            BigInteger.class, BigDecimal.class, Instant.class, Duration.class, LocalDate.class);

    private final List<Class<?>> types;
    private final Pool<Kryo> pool;

    public PayloadCodec(List<Class<?>> userTypes) {
        this.types = List.copyOf(userTypes);
        this.pool = new Pool<>(true, false, 64) {
            @Override
            protected Kryo create() {
                Kryo kryo = new Kryo();
                kryo.setRegistrationRequired(true);
                TimeSerializers.addDefaultSerializers(kryo);
                ImmutableCollectionsSerializers.addDefaultSerializers(kryo);
                COMMON.forEach(kryo::register);
                kryo.register(UUID.class, new DefaultSerializers.UUIDSerializer());
                ImmutableCollectionsSerializers.registerSerializers(kryo); // List.of, Set.of, Map.of
                types.forEach(kryo::register);
                return kryo;
            }
        };
    }

    public byte[] encode(Object value) {
        Kryo kryo = pool.obtain();
        try (Output out = new Output(64, -1)) {
            kryo.writeClassAndObject(out, value);
            return out.toBytes();
        } catch (IllegalArgumentException | KryoException e) {
            throw new UnregisteredPayloadException(describe(value, e), e);
        } finally {
            pool.free(kryo);
        }
    }

    public Object decode(byte[] bytes) {
        Kryo kryo = pool.obtain();
        try (Input in = new Input(bytes)) {
            return kryo.readClassAndObject(in);
        } finally {
            pool.free(kryo);
        }
    }

    private static String describe(Object value, RuntimeException e) {
        String msg = String.valueOf(e.getMessage());
        int nl = msg.indexOf('\n');
        String first = nl < 0 ? msg : msg.substring(0, nl);
        if (first.startsWith("Class is not registered: ")) {
            String cls = first.substring("Class is not registered: ".length());
            return "class " + cls + " is not registered for payloads (writing a " + value.getClass().getName()
                    + "): declare it in the processor's payloadTypes()";
        }
        return "cannot serialize a " + value.getClass().getName() + ": " + first;
    }
}
