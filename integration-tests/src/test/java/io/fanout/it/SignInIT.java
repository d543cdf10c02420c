package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Scope;
import io.fanout.console.SignInLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 22, M3, M4 and Low: signing in and presenting tokens, as an attacker with a browser page elsewhere or a script of guesses would. */
class SignInIT {

    private static FanoutCluster cluster;
    private static ApiServer server;
    private static ApiCalls api;
    private static ApiTokens tokens;
    private static String reader;
    private static String admin;

    @BeforeAll
    static void start() throws Exception {
        cluster = new FanoutCluster();
        server = ApiCalls.start(cluster);
        api = new ApiCalls(server);
        tokens = new ApiTokens(cluster.db());
        reader = tokens.create("reader", Scope.READ, null, "test").secret();
        admin = tokens.create("admin", Scope.ADMIN, null, "test").secret();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        cluster.close();
    }

    @Test
    void aSignInPostedFromAnotherSiteIsRefused() throws Exception {
        for (String[] header : new String[][] {{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}, {"Referer", "http://evil.example/x"},
                {"Origin", "null"}}) {
            ApiCalls.Reply r = api.call("POST", "/console/login", null, "token=" + reader, null, header);
            assertEquals(403, r.status(), header[0] + ": " + header[1]);
            assertEquals("cross_site", r.code());
            assertTrue(r.raw().headers().firstValue("Set-Cookie").isEmpty(), "no session for " + header[1]);
        }
        assertEquals(302, api.call("POST", "/console/login", null, "token=" + reader, null, "Origin", "http://127.0.0.1:" + server.port(),
                "Sec-Fetch-Site", "same-origin").status());
        // what Chromium sends for the console's own form under Referrer-Policy: no-referrer
        assertEquals(302, api.call("POST", "/console/login", null, "token=" + reader, null, "Origin", "null", "Sec-Fetch-Site", "same-origin").status());
    }

    @Test
    void aConsoleFormPostedFromAnotherSiteIsRefusedEvenWithTheSessionAndItsCsrfToken() throws Exception {
        String session = api.signIn(reader);
        String csrf = api.csrf(session);
        assertEquals(403, api.call("POST", "/console/logout", null, "csrf=" + csrf, session, "Origin", "http://evil.example").status());
        assertEquals(302, api.call("POST", "/console/logout", null, "csrf=" + csrf, session, "Origin", "http://127.0.0.1:" + server.port()).status());
    }

    @Test
    void oneTokenHoldsABoundedNumberOfSessionsTheOldestEndFirst() throws Exception {
        String first = api.signIn(reader);
        for (int i = 0; i < 10; i++) {
            api.signIn(reader);
        }
        ApiCalls.Reply r = api.call("GET", "/console", null, null, first);
        assertEquals(302, r.status(), "the oldest session ended");
        assertEquals("/console/login", r.raw().headers().firstValue("Location").orElse(""));
    }

    @Test
    void theBearerSchemeIsCaseInsensitiveAndARefusalIsAudited() throws Exception {
        assertEquals(200, api.call("GET", "/api/v1/jobs", null, null, null, "Authorization", "bearer " + reader).status());
        long before = Sql.count(cluster.db(), "SELECT count(*) FROM fanout_audit WHERE actor = 'reader' AND action = 'access' AND outcome = 'refused'");
        assertEquals(403, api.get("/api/v1/audit", reader).status());
        assertEquals(before + 1, Sql.count(cluster.db(),
                "SELECT count(*) FROM fanout_audit WHERE actor = 'reader' AND action = 'access' AND outcome = 'refused'"));
    }

    @Test
    void theAuditLogIsReadAPageAtATimeAndByAction() throws Exception {
        Sql.execute(cluster.db(), "INSERT INTO fanout_audit (actor, action, target, outcome) SELECT 'noise', 'console.sign-in', null, 'refused' "
                + "FROM generate_series(1, 250)");
        Sql.execute(cluster.db(), "INSERT INTO fanout_audit (actor, action, target, outcome) VALUES ('alice', 'job.cancel', 'j', 'done')");
        ApiCalls.Reply first = api.get("/api/v1/audit?limit=100", admin);
        assertEquals(100, first.body().size());
        long last = first.body().get(99).get("id").asLong();
        ApiCalls.Reply second = api.get("/api/v1/audit?limit=100&before=" + last, admin);
        assertEquals(100, second.body().size());
        assertTrue(second.body().get(0).get("id").asLong() < last);
        ApiCalls.Reply cancels = api.get("/api/v1/audit?action=job.cancel", admin);
        assertEquals("alice", cancels.body().get(0).get("actor").asText(), "the real entry is found under the noise");
        assertEquals(400, api.get("/api/v1/audit?before=-1", admin).status());
        String session = api.signIn(admin);
        String page = api.call("GET", "/console/audit", null, null, session).raw().body();
        assertTrue(page.contains("id=\"older\" href=\"/console/audit?before="), "the console links the older entries");
    }

    /** A server of its own: the guesses below exhaust this address's attempts. */
    @Test
    void guessesFromOneAddressAreAnswered429WithoutALookupOrAnAuditRowEach() throws Exception {
        try (ApiServer own = ApiCalls.start(cluster)) {
            ApiCalls calls = new ApiCalls(own);
            long audited = Sql.count(cluster.db(), "SELECT count(*) FROM fanout_audit WHERE action = 'console.sign-in' AND outcome = 'refused'");
            for (int i = 0; i < SignInLimits.ATTEMPTS / 2; i++) {
                assertEquals(302, calls.call("POST", "/console/login", null, "token=fo_guess" + i, null).status());
                assertEquals(401, calls.get("/api/v1/jobs", "fo_guess" + i).status());
            }
            assertEquals(429, calls.call("POST", "/console/login", null, "token=fo_guess-more", null).status());
            ApiCalls.Reply bearer = calls.get("/api/v1/jobs", "fo_guess-more");
            assertEquals(429, bearer.status());
            assertEquals("too_many_attempts", bearer.code());
            assertEquals(audited + SignInLimits.ATTEMPTS / 2, Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_audit WHERE action = 'console.sign-in' AND outcome = 'refused'"), "one row per attempt looked at, no more");
        }
    }
}
