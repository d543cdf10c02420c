package io.fanout.coordinator.alert;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * POSTs an alert to a webhook. With a secret, {@code X-Fanout-Signature: t=SECONDS,v1=HEX} carries
 * the HMAC-SHA256 of {@code SECONDS + "." + body}: a receiver recomputes it to know the alert is
 * ours and unaltered, and refuses old timestamps to stop replays. {@code X-Fanout-Delivery} is the
 * same for every attempt of one alert, so receivers can drop duplicates.
 */
final class WebhookSender {

    static final String SIGNATURE = "X-Fanout-Signature";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    private final String secret;

    WebhookSender(String secret) {
        this.secret = secret;
    }

    /** Completes with null when the receiver answered 2xx, else with why not. */
    CompletableFuture<String> send(URI url, String kind, long deliveryId, String body, long epochSeconds) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .header("User-Agent", "fanout-alerts")
                .header("X-Fanout-Event", kind)
                .header("X-Fanout-Delivery", Long.toString(deliveryId))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (secret != null) {
            request.header(SIGNATURE, "t=" + epochSeconds + ",v1=" + sign(secret, epochSeconds + "." + body));
        }
        try {
            return http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
                    .handle((response, error) -> error != null ? describe(error)
                            : response.statusCode() / 100 == 2 ? null : "HTTP " + response.statusCode());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(e.getMessage());
        }
    }

    /** HMAC-SHA256 of {@code text} under {@code key}, as lowercase hex. */
    static String sign(String key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static String describe(Throwable error) {
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
