package io.fanout.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A container health check that needs nothing but the JRE: {@code GET}s each URL given and exits 0
 * if every one answers 200, else 1 with the reason on standard error. compose.yaml runs it against
 * a coordinator's or executor's {@code /healthz} (503 once one of its threads has died) and the
 * console's sign-in page:
 * <pre>java -cp /opt/fanout/classes io.fanout.cli.HealthCheck http://127.0.0.1:9400/healthz</pre>
 * It is a class of its own, apart from the {@code fanout} command, so that it starts in a fraction
 * of a second on a classpath of one directory.
 */
public final class HealthCheck {

    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private HealthCheck() {
    }

    public static void main(String[] args) {
        System.exit(check(args, TIMEOUT, System.err));
    }

    /** 0 if every URL answers 200 within {@code timeout}; 1 (saying why on {@code err}) if one does not; 2 without a URL. */
    static int check(String[] urls, Duration timeout, PrintStream err) {
        if (urls.length == 0) {
            err.println("usage: java -cp CLASSES io.fanout.cli.HealthCheck URL...   (exit 0 when every URL answers 200)");
            return 2;
        }
        for (String url : urls) {
            String failure = failure(url, timeout);
            if (failure != null) {
                err.println("unhealthy: " + url + " " + failure);
                return 1;
            }
        }
        return 0;
    }

    /** Why {@code url} is not healthy, or null if it answered 200. */
    private static String failure(String url, Duration timeout) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setInstanceFollowRedirects(false);
            int status = c.getResponseCode();
            if (status == 200) {
                return null;
            }
            InputStream body = c.getErrorStream() != null ? c.getErrorStream() : c.getInputStream();
            String text = body == null ? "" : new String(body.readNBytes(500), StandardCharsets.UTF_8).strip();
            return "answered " + status + (text.isEmpty() ? "" : ": " + text);
        } catch (IOException | IllegalArgumentException e) {
            return "did not answer: " + e;
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }
}
