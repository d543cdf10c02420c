package io.fanout.coordinator.alert;

import io.fanout.coordinator.AlertPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The one check of where the coordinator may POST a job's own alerts, applied when a job or a
 * workflow node is accepted, when a node's {@code ${...}} webhook is resolved, and again before each
 * delivery. An allowed entry is {@code [scheme://]host[:port]}: without a scheme both http and
 * https, without a port only the scheme's default port. Hosts compare case-insensitively and
 * exactly, so an IP literal (a private or loopback address included) is allowed only when it is
 * listed as written. The installation's own webhooks are always allowed (the operator chose them).
 */
public final class WebhookAllowList {

    private record Entry(String scheme, String host, int port) {
        boolean matches(String urlScheme, String urlHost, int urlPort) {
            return (scheme == null || scheme.equals(urlScheme)) && host.equals(urlHost)
                    && (port == -1 ? urlPort == defaultPort(urlScheme) : port == urlPort);
        }
    }

    private final List<URI> installation;
    private final List<Entry> entries;
    private final String described;

    public WebhookAllowList(List<URI> installation, Set<String> allowed) {
        this.installation = List.copyOf(installation);
        List<Entry> parsed = new ArrayList<>();
        Set<String> source = allowed;
        source.forEach(a -> parsed.add(parse(a)));
        this.entries = List.copyOf(parsed);
        this.described = source.isEmpty() ? "none" : String.join(", ", source.stream().sorted().toList());
    }

    public static WebhookAllowList of(AlertPolicy policy) {
        return new WebhookAllowList(policy.webhooks(), policy.allowedHosts());
    }

    /** Why a job may not name this webhook, or null if it may. */
    public String reasonAgainst(URI url) {
        if (installation.contains(url)) {
            return null;
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        String host = normalHost(url.getHost());
        if (!scheme.equals("http") && !scheme.equals("https") || host == null || url.getUserInfo() != null) {
            return "alert webhook '" + url + "' is not an http(s) URL with a host and no user info";
        }
        int port = effectivePort(url);
        if (entries.stream().noneMatch(e -> e.matches(scheme, host, port))) {
            return "alert webhook " + scheme + "://" + host + ":" + port + " is not allowed here (allowed: " + described + ")";
        }
        return null;
    }

    /** Why a list of a job's webhooks is refused (the first refusal), or null. */
    public String reasonAgainst(List<URI> urls) {
        for (URI u : urls == null ? List.<URI>of() : urls) {
            String why = reasonAgainst(u);
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    /**
     * The check before a delivery: allowed as above, and a host name must not resolve to a
     * link-local, wildcard or multicast address (a cloud metadata endpoint behind an allowed name).
     */
    public String reasonAgainstDelivery(URI url) {
        String why = reasonAgainst(url);
        if (why != null || installation.contains(url)) {
            return why;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(url.getHost())) {
                if (a.isLinkLocalAddress() || a.isAnyLocalAddress() || a.isMulticastAddress()) {
                    return "alert webhook host " + url.getHost() + " resolves to " + a.getHostAddress() + ", which alerts never go to";
                }
            }
        } catch (UnknownHostException e) {
            return null; // the delivery fails and is retried like any other
        }
        return null;
    }

    private static Entry parse(String allowed) {
        String a = allowed.trim().toLowerCase(Locale.ROOT);
        if (a.contains("://")) {
            URI u = URI.create(a);
            return new Entry(u.getScheme(), normalHost(u.getHost()), u.getPort());
        }
        if (a.indexOf(':') != a.lastIndexOf(':') && !a.startsWith("[")) {
            return new Entry(null, a, -1); // a bare IPv6 literal
        }
        URI u = URI.create("http://" + a);
        if (u.getHost() == null) {
            throw new IllegalArgumentException("alert setting 'allowed-hosts': '" + allowed + "' is not [scheme://]host[:port]");
        }
        return new Entry(null, normalHost(u.getHost()), u.getPort());
    }

    private static String normalHost(String host) {
        if (host == null || host.isEmpty()) {
            return null;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static int effectivePort(URI u) {
        return u.getPort() != -1 ? u.getPort() : defaultPort(u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT));
    }

    private static int defaultPort(String scheme) {
        return "https".equals(scheme) ? 443 : 80;
    }

    @Override
    public String toString() {
        return described;
    }
}
