package io.fanout.console;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How often one address, and one token prefix from anywhere, may try to sign in or present a
 * bearer token that turns out not to be valid: a guesser is answered 429 before the token is
 * looked up (no database work) and before anything is written to the audit log (no flood that
 * hides the real entries). Only failures count: a valid token is slowed only where its address or
 * prefix has failed too often. Limiters are resilience4j's, one per key,
 * forgotten all at once when there are too many keys (so many addresses cannot fill the memory).
 */
public final class SignInLimits {

    /** Failed attempts per address, and per token prefix, in each period. */
    public static final int ATTEMPTS = 10;
    public static final Duration PERIOD = Duration.ofMinutes(1);
    static final int MAX_KEYS = 10_000;
    /** How much of a presented token names its prefix: the fixed "fo_" and four characters. */
    static final int PREFIX_CHARS = 7;

    private final RateLimiterConfig config;
    private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();

    public SignInLimits() {
        this(ATTEMPTS, PERIOD);
    }

    public SignInLimits(int attempts, Duration period) {
        this.config = RateLimiterConfig.custom().limitForPeriod(attempts).limitRefreshPeriod(period).timeoutDuration(Duration.ZERO).build();
    }

    /** Whether a failed attempt from this address with this token may still be looked at; false once either is over its limit. */
    public boolean mayTry(String address, String token) {
        return !exhausted("address:" + address) && !exhausted("prefix:" + prefix(token));
    }

    /** Counts a failed attempt against the address and the token's prefix. */
    public void failed(String address, String token) {
        limiter("address:" + address).acquirePermission();
        limiter("prefix:" + prefix(token)).acquirePermission();
    }

    /** Whether a refused request of this (valid) token may still be written to the audit log in this period: a token cannot flood it. */
    public boolean mayAudit(java.util.UUID tokenId) {
        return limiter("audit:" + tokenId).acquirePermission();
    }

    private boolean exhausted(String key) {
        RateLimiter l = limiters.get(key);
        return l != null && l.getMetrics().getAvailablePermissions() <= 0;
    }

    private RateLimiter limiter(String key) {
        if (limiters.size() > MAX_KEYS) {
            limiters.clear();
        }
        return limiters.computeIfAbsent(key, k -> RateLimiter.of(k, config));
    }

    private static String prefix(String token) {
        return token == null ? "" : token.substring(0, Math.min(PREFIX_CHARS, token.length()));
    }
}
