package io.fanout.console.web;

import io.fanout.console.ApiError;
import io.javalin.http.Context;
import java.net.URI;
import java.util.Locale;

/**
 * Refuses a console form posted from another site, the sign-in form included (login CSRF: a page
 * elsewhere must not sign a visitor in as someone else). Browsers say where a POST comes from in
 * {@code Sec-Fetch-Site} and {@code Origin}; a request with neither does not come from a browser
 * page, so it cannot be a forged form.
 */
final class SameOrigin {

    private SameOrigin() {
    }

    static void check(Context ctx) {
        String site = ctx.header("Sec-Fetch-Site");
        if (site != null) { // the browser's own word; Origin may be "null" for a same-origin form under Referrer-Policy: no-referrer
            if (!site.equals("same-origin") && !site.equals("none")) {
                throw refused();
            }
            return;
        }
        String origin = ctx.header("Origin");
        if (origin == null) {
            String referer = ctx.header("Referer");
            if (referer == null) {
                return;
            }
            origin = referer;
        }
        String host = ctx.header("X-Forwarded-Host") != null ? ctx.header("X-Forwarded-Host") : ctx.host();
        try {
            URI o = URI.create(origin.trim());
            String authority = o.getHost() == null ? null : o.getHost().toLowerCase(Locale.ROOT) + (o.getPort() == -1 ? "" : ":" + o.getPort());
            if (authority == null || host == null || !sameAuthority(authority, host.toLowerCase(Locale.ROOT), o.getScheme())) {
                throw refused();
            }
        } catch (IllegalArgumentException e) {
            throw refused();
        }
    }

    /** Host headers leave out a default port; origins may too. */
    private static boolean sameAuthority(String origin, String host, String scheme) {
        String port = "https".equalsIgnoreCase(scheme) ? ":443" : ":80";
        return strip(origin, port).equals(strip(host, port));
    }

    private static String strip(String authority, String defaultPort) {
        return authority.endsWith(defaultPort) ? authority.substring(0, authority.length() - defaultPort.length()) : authority;
    }

    private static ApiError refused() {
        return new ApiError(403, "cross_site", "this form was posted from another site; open the console and try again", "Origin");
    }
}
