package io.fanout.coordinator;

import java.util.Map;
import java.util.TreeMap;

/** Hides secret values (passwords, SASL JAAS configs, keys) when settings are logged. */
final class Masking {

    private Masking() {
    }

    static Map<String, Object> mask(Map<String, Object> settings) {
        Map<String, Object> masked = new TreeMap<>();
        settings.forEach((k, v) -> masked.put(k, isSecret(k) ? "****" : v));
        return masked;
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase();
        return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.endsWith(".key");
    }
}
