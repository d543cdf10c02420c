package io.fanout.shared.model;

import java.net.URI;
import java.net.URISyntaxException;

/** The rules for an alert webhook's URL, shared by job requests and the coordinator's settings. */
public final class Webhooks {

    public static final int MAX_PER_JOB = 5;
    public static final int MAX_URL_LENGTH = 2_000;

    private Webhooks() {
    }

    /** The URL as a URI, if it is an absolute http(s) URL of reasonable length; else why not. */
    public static URI check(String url) {
        if (url == null || url.isEmpty() || url.length() > MAX_URL_LENGTH) {
            throw new IllegalArgumentException("a webhook URL has 1-" + MAX_URL_LENGTH + " characters");
        }
        try {
            URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("a webhook URL is an absolute http:// or https:// URL, got '" + url + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: '" + url + "': " + e.getReason());
        }
    }
}
