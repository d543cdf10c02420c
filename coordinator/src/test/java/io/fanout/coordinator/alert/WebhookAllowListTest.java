package io.fanout.coordinator.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fanout.coordinator.AlertPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Issue 22, H1 and Low: the webhook check compares scheme, host and port, case-insensitively, and allows IP literals only as listed. */
class WebhookAllowListTest {

    private static WebhookAllowList allowing(String... entries) {
        return new WebhookAllowList(List.of(URI.create("http://127.0.0.1:18999/hook")), Set.of(entries));
    }

    @Test
    void aHostWithoutAPortAllowsOnlyTheSchemesDefaultPort() {
        WebhookAllowList allow = allowing("hooks.example.com");
        assertNull(allow.reasonAgainst(URI.create("https://hooks.example.com/x")));
        assertNull(allow.reasonAgainst(URI.create("http://hooks.example.com:80/x")));
        assertNotNull(allow.reasonAgainst(URI.create("http://hooks.example.com:6379/x")), "the port is checked");
    }

    @Test
    void hostsCompareCaseInsensitivelyAndExactly() {
        WebhookAllowList allow = allowing("Hooks.Example.com");
        assertNull(allow.reasonAgainst(URI.create("https://HOOKS.example.COM./x")));
        assertNotNull(allow.reasonAgainst(URI.create("https://evil-hooks.example.com/x")));
        assertNotNull(allow.reasonAgainst(URI.create("https://hooks.example.com.evil.net/x")));
    }

    @Test
    void aSchemeAndPortInTheEntryAreBothRequired() {
        WebhookAllowList allow = allowing("https://hooks.example.com:8443");
        assertNull(allow.reasonAgainst(URI.create("https://hooks.example.com:8443/x")));
        assertNotNull(allow.reasonAgainst(URI.create("http://hooks.example.com:8443/x")), "the scheme is checked");
        assertNotNull(allow.reasonAgainst(URI.create("https://hooks.example.com/x")));
    }

    @Test
    void ipLiteralsAndUserInfoAreRefusedUnlessListedAsWritten() {
        WebhookAllowList allow = allowing("hooks.example.com", "10.0.0.7:9000", "[::1]:9000");
        assertNotNull(allow.reasonAgainst(URI.create("http://127.0.0.2:18998/x")));
        assertNotNull(allow.reasonAgainst(URI.create("http://169.254.169.254/latest")));
        assertNotNull(allow.reasonAgainst(URI.create("http://2130706433/x")), "127.0.0.1 written as a number");
        assertNull(allow.reasonAgainst(URI.create("http://10.0.0.7:9000/x")));
        assertNull(allow.reasonAgainst(URI.create("http://[::1]:9000/x")));
        assertNotNull(allow.reasonAgainst(URI.create("http://user@hooks.example.com/x")));
        assertNotNull(allow.reasonAgainst(URI.create("ftp://hooks.example.com/x")));
    }

    @Test
    void theInstallationsWebhooksAreAlwaysAllowedAndByDefaultTheirOriginsOnly() {
        AlertPolicy policy = new AlertPolicy(List.of(URI.create("http://127.0.0.1:18999/hook")), Set.of(), null, Duration.ofMinutes(1),
                Duration.ofSeconds(1), 3, Duration.ofSeconds(15));
        WebhookAllowList allow = WebhookAllowList.of(policy);
        assertNull(allow.reasonAgainst(URI.create("http://127.0.0.1:18999/hook")));
        assertNull(allow.reasonAgainst(URI.create("http://127.0.0.1:18999/own")));
        assertEquals("alert webhook http://127.0.0.2:18998 is not allowed here (allowed: http://127.0.0.1:18999)",
                allow.reasonAgainst(URI.create("http://127.0.0.2:18998/x")));
        assertNotNull(allow.reasonAgainst(URI.create("http://127.0.0.1:18998/x")), "another port of the same host");
    }

    @Test
    void aDeliveryToANameThatResolvesToALinkLocalAddressIsRefused() {
        WebhookAllowList allow = allowing("169.254.169.254");
        assertNull(allow.reasonAgainst(URI.create("http://169.254.169.254/latest")), "listed as written");
        assertNotNull(allow.reasonAgainstDelivery(URI.create("http://169.254.169.254/latest")), "but never delivered to");
    }

    @Test
    void aMalformedEntryFailsAtStart() {
        assertThrows(IllegalArgumentException.class, () -> allowing("http://"));
    }
}
