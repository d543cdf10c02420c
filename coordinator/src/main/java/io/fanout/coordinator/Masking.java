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

    /** A JDBC URL without the password it may carry (a {@code password=} parameter, or {@code user:password@}). */
    static String jdbcUrl(String url) {
        if (url == null) {
            return null;
        }
        return url.replaceAll("(?i)(password=)[^&;]*", "$1****").replaceAll("(//[^/:@]+:)[^@/]*@", "$1****@");
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase();
        return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.endsWith(".key");
    }
}
