package io.fanout.coordinator;

import io.fanout.coordinator.alert.WebhookAllowList;
import io.fanout.shared.model.Webhooks;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where alerts go and how they are delivered. Alerts are JSON POSTs, signed with HMAC-SHA256 when a
 * secret is set, retried with backoff until a receiver answers 2xx or {@code maxAttempts} is reached.
 *
 * @param webhooks the installation's receivers (a job's request may name its own instead)
 * @param allowedHosts where a job's own webhooks may point, each {@code [scheme://]host[:port]} (see
 *     {@link io.fanout.coordinator.alert.WebhookAllowList}); the coordinator refuses others, so a job cannot
 *     make it POST (signed) anywhere it can reach. Empty: the scheme, host and port of each of {@code webhooks}
 * @param secret the HMAC key of the {@code X-Fanout-Signature} header (null: unsigned)
 * @param poolStalledAfter a pool with tasks waiting and no executor for this long raises an alert
 * @param interval how often conditions are looked for and due deliveries made
 * @param maxAttempts deliveries of one alert before it is given up (logged, counted)
 * @param leaseTtl how long the alerts lease lasts without renewal (one coordinator alerts at a time)
 */
public record AlertPolicy(List<URI> webhooks, Set<String> allowedHosts, String secret, Duration poolStalledAfter, Duration interval, int maxAttempts,
                          Duration leaseTtl) {

    public static final AlertPolicy DEFAULT = new AlertPolicy(List.of(), Set.of(), null, Duration.ofMinutes(5), Duration.ofSeconds(10),
            12, Duration.ofSeconds(15));

    public AlertPolicy {
        webhooks = List.copyOf(webhooks);
        webhooks.forEach(u -> Webhooks.check(u.toString()));
        allowedHosts = allowedHosts.isEmpty()
                ? webhooks.stream().map(u -> u.getScheme() + "://" + u.getHost() + ":" + (u.getPort() != -1 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80))
                        .collect(Collectors.toUnmodifiableSet())
                : Set.copyOf(allowedHosts);
        new WebhookAllowList(webhooks, allowedHosts); // fails fast on an entry that is not [scheme://]host[:port]
        if (secret != null && secret.isEmpty()) {
            secret = null;
        }
        if (poolStalledAfter == null || poolStalledAfter.isNegative()) {
            throw new IllegalArgumentException("alert setting 'pool-stalled-after' must be zero or positive");
        }
        if (interval == null || interval.toMillis() < 1) {
            throw new IllegalArgumentException("alert setting 'interval' must be positive");
        }
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("alert setting 'max-attempts' must be from 1 to 100, got " + maxAttempts);
        }
        if (leaseTtl == null || leaseTtl.toMillis() < 100) {
            throw new IllegalArgumentException("alert setting 'lease-ttl' must be at least 100 ms");
        }
    }

    /** Backoff before delivery attempt {@code attempt + 1}: one second, doubling, at most five minutes. */
    public Duration backoff(int attempt) {
        return Duration.ofSeconds(Math.min(300, 1L << Math.min(attempt, 9)));
    }

    @Override
    public String toString() {
        return "webhooks " + webhooks.size() + ", " + (secret == null ? "unsigned" : "signed") + ", pool stalled after " + poolStalledAfter;
    }
}
