package io.fanout.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.payload.PayloadCodec;
import io.fanout.shared.payload.UnregisteredPayloadException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PayloadCodecTest {

    record Point(int x, int y) {
    }

    record Unlisted(String s) {
    }

    private final PayloadCodec codec = new PayloadCodec(List.of(Point.class));

    @Test
    void roundTripsDeclaredAndCommonTypes() {
        for (Object v : List.of(42L, "text", new Point(1, 2), UUID.randomUUID(), Instant.parse("2026-01-02T03:04:05Z"),
                BigInteger.TEN.pow(40), new ArrayList<>(List.of(1, 2)), List.of("immutable"), Map.of("k", 1))) {
            assertEquals(v, codec.decode(codec.encode(v)), () -> "round trip of " + v.getClass());
        }
        assertEquals(null, codec.decode(codec.encode(null)));
    }

    @Test
    void anUndeclaredClassFailsAtTheWriterNamingTheClass() {
        UnregisteredPayloadException e = assertThrows(UnregisteredPayloadException.class, () -> codec.encode(new Unlisted("x")));
        assertTrue(e.getMessage().contains(Unlisted.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains("payloadTypes()"), e.getMessage());
    }

    @Test
    void anUndeclaredClassInsideADeclaredCollectionIsNamedToo() {
        UnregisteredPayloadException e = assertThrows(UnregisteredPayloadException.class,
                () -> codec.encode(new ArrayList<>(List.of(new Unlisted("x")))));
        assertTrue(e.getMessage().contains(Unlisted.class.getName()), e.getMessage());
    }
}
