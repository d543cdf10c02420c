package io.fanout.console.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console's sign-ins: a random session id (the cookie) for a token, with the CSRF token its
 * forms must carry. Held in memory: a restarted console asks people to sign in again. The token
 * itself is checked on every request, so revoking it ends its sessions at once.
 */
final class Sessions {

    static final Duration LIFETIME = Duration.ofHours(8);
    private static final SecureRandom RANDOM = new SecureRandom();

    record Session(String id, UUID tokenId, String csrf, Instant expiresAt) {
    }

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    /** Sign-ins one token may hold at once; a new one ends the oldest, so signing in again and again cannot fill the memory. */
    static final int MAX_PER_TOKEN = 10;

    synchronized Session open(UUID tokenId) {
        sessions.values().removeIf(s -> s.expiresAt().isBefore(Instant.now()));
        List<Session> ofToken = sessions.values().stream().filter(s -> s.tokenId().equals(tokenId))
                .sorted(Comparator.comparing(Session::expiresAt)).toList();
        for (int i = 0; i <= ofToken.size() - MAX_PER_TOKEN; i++) {
            sessions.remove(ofToken.get(i).id());
        }
        Session s = new Session(random(), tokenId, random(), Instant.now().plus(LIFETIME));
        sessions.put(s.id(), s);
        return s;
    }

    /** How many sign-ins this token holds. */
    long count(UUID tokenId) {
        return sessions.values().stream().filter(s -> s.tokenId().equals(tokenId)).count();
    }

    /** Whether a secret sent equals the expected one, compared in constant time. */
    static boolean sameSecret(String expected, String sent) {
        return sent != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), sent.getBytes(StandardCharsets.UTF_8));
    }

    Optional<Session> find(String id) {
        Session s = id == null ? null : sessions.get(id);
        if (s == null || s.expiresAt().isBefore(Instant.now())) {
            return Optional.empty();
        }
        return Optional.of(s);
    }

    void close(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    private static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
