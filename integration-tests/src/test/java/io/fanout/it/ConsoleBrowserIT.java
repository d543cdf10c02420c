package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Scope;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The console in a real browser: Debian's headless Chromium driven by its chromedriver (installed
 * by .ci/run; where they are missing the tests are skipped, unless FANOUT_BROWSER_TESTS=required).
 * Screenshots go to integration-tests/target/screenshots.
 */
class ConsoleBrowserIT {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File DRIVER = new File("/usr/bin/chromedriver");

    private WebDriver browser;
    private String testName;
    private int shots;

    @BeforeEach
    void openBrowser(TestInfo info) {
        boolean present = CHROMIUM.canExecute() && DRIVER.canExecute();
        if (!present && "required".equals(System.getenv("FANOUT_BROWSER_TESTS"))) {
            throw new IllegalStateException("browser tests are required but Chromium or chromedriver is missing: apt-get install chromium chromium-driver");
        }
        Assumptions.assumeTrue(present, "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(DRIVER).usingAnyFreePort().build(), options);
        browser.manage().timeouts().implicitlyWait(Duration.ofSeconds(0));
        testName = info.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private static ApiServer server(FanoutCluster cluster) {
        return ApiServer.start(new ApiServer.Config("127.0.0.1", 0, cluster.jdbcUrl, SharedInfrastructure.dbUser(), null,
                Map.of("bootstrap.servers", cluster.bootstrap), cluster.topics, cluster.executorGroup()));
    }

    private void screenshot(String what) throws Exception {
        Path dir = Path.of("target", "screenshots");
        Files.createDirectories(dir);
        Files.write(dir.resolve(testName + "-" + (++shots) + "-" + what + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private void signIn(String base, String token) {
        browser.get(base + "/console/login");
        browser.findElement(By.id("token")).sendKeys(token);
        browser.findElement(By.id("sign-in")).click();
        await().atMost(Duration.ofSeconds(20)).until(() -> browser.getCurrentUrl().endsWith("/console"));
    }

    private String text(String id) {
        List<WebElement> found = browser.findElements(By.id(id));
        return found.isEmpty() ? "" : found.get(0).getText();
    }

    @Test
    void aStrangerIsSentToSignInAndAnOperatorWatchesAJobsProgressMove() throws Exception {
        Semaphore gate = new Semaphore(0);
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            cluster.startExecutor(Map.of("gated", ctx -> {
                gate.acquire();
                return null;
            }), b -> b.concurrency(10));
            String base = "http://127.0.0.1:" + server.port();
            String token = new ApiTokens(cluster.db()).create("alice", Scope.OPERATE, null, "test").secret();

            browser.get(base + "/console/jobs");
            assertTrue(browser.getCurrentUrl().endsWith("/console/login"), "refused without sign-in: " + browser.getCurrentUrl());
            browser.findElement(By.id("token")).sendKeys("fo_wrong");
            browser.findElement(By.id("sign-in")).click();
            await().atMost(Duration.ofSeconds(20)).until(() -> !text("login-error").isEmpty());
            screenshot("refused");

            signIn(base, token);
            await().atMost(Duration.ofSeconds(30)).until(() -> { // the overview counts the executor once its first heartbeat is in
                browser.navigate().refresh();
                return text("live-executors").equals("1");
            });
            UUID job = cluster.client().submit(JobRequests.builder("gated").items(IntStream.range(0, 10).boxed().toList(), "step").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE job_id = ?", job) == 1);
            browser.get(base + "/console/jobs/" + job);
            await().atMost(Duration.ofSeconds(30)).until(() -> text("progress-label").startsWith("0 of 10"));
            screenshot("started");
            gate.release(4);
            await().atMost(Duration.ofSeconds(30)).until(() -> text("progress-label").startsWith("4 of 10"));
            screenshot("moving");
            gate.release(6);
            await().atMost(Duration.ofSeconds(30)).until(() -> text("job-state").equals("SUCCEEDED"));
            assertTrue(text("progress-label").startsWith("10 of 10"), text("progress-label"));
            screenshot("done");
        }
    }

    @Test
    void anOperatorReplaysADeadLetterAndBulkRetriesTwoFailedJobs() throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            AtomicBoolean pickyFixed = new AtomicBoolean();
            cluster.startExecutor(Map.of("fragile", ctx -> {
                if (broken.get()) {
                    throw new NonRetryableException("the source is down");
                }
                return "ok";
            }, "picky", ctx -> {
                if (!pickyFixed.get()) {
                    throw new IllegalArgumentException("not this input");
                }
                return "ok";
            }));
            String base = "http://127.0.0.1:" + server.port();
            String token = new ApiTokens(cluster.db()).create("bob", Scope.OPERATE, null, "test").secret();
            UUID[] jobs = new UUID[3];
            for (int i = 0; i < 3; i++) {
                jobs[i] = cluster.client().submit(JobRequests.builder("fragile").build());
                assertEquals(JobEvent.Type.FAILED, cluster.client().await(jobs[i], Duration.ofMinutes(1)).type());
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_dead_letter WHERE state = 'DEAD'") == 3);
            broken.set(false);
            signIn(base, token);

            long letter = Sql.count(cluster.db(), "SELECT id FROM fanout_dead_letter WHERE job_id = ?", jobs[0]);
            browser.get(base + "/console/dead-letters");
            screenshot("letters");
            browser.findElement(By.linkText(Long.toString(letter))).click();
            assertTrue(text("stack").contains("the source is down"), text("stack"));
            browser.findElement(By.id("replay")).click(); // from the letter's own page
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions() // the form posts, and the list comes back with the letter replayed
                    .until(() -> !browser.findElement(By.cssSelector("#letter-" + letter + " .letter-state")).getText().equals("DEAD"));
            browser.get(base + "/console/jobs/" + jobs[0]);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                browser.navigate().refresh();
                return text("job-state").equals("SUCCEEDED");
            });
            screenshot("replayed");

            browser.get(base + "/console/jobs?state=FAILED");
            for (UUID job : List.of(jobs[1], jobs[2])) {
                browser.findElement(By.cssSelector("input[name=job][value='" + job + "']")).click();
            }
            screenshot("chosen");
            browser.findElement(By.id("retry-selected")).click();
            await().atMost(Duration.ofSeconds(20)).until(() -> text("dry-run").startsWith("A dry run found 2 dead letters"));
            assertEquals("FAILED", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", jobs[1]), "the dry run changed nothing");
            screenshot("confirm");
            browser.findElement(By.id("confirm-retry")).click();
            await().atMost(Duration.ofSeconds(20)).until(() -> browser.findElements(By.className("retried")).size() == 2);
            screenshot("retried");
            for (UUID job : List.of(jobs[1], jobs[2])) {
                await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCEEDED".equals(Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job)));
            }
            assertEquals(3, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_audit WHERE actor = 'bob' AND action IN ('letter.replay', 'job.retry') "
                    + "AND outcome = 'done'"));

            // Every waiting letter of an error class, replayed together after a dry run shows how many.
            UUID picky = cluster.client().submit(JobRequests.builder("picky").retry(new io.fanout.shared.model.RetryPolicy(1, Duration.ofMillis(10), 1,
                    Duration.ofMillis(10), 0, List.of())).build());
            assertEquals(JobEvent.Type.FAILED, cluster.client().await(picky, Duration.ofMinutes(1)).type());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_dead_letter WHERE job_id = ?", picky) == 1);
            pickyFixed.set(true);
            browser.get(base + "/console/dead-letters");
            browser.findElement(By.id("error-class")).sendKeys("java.lang.IllegalArgumentException");
            browser.findElement(By.id("replay-class")).click();
            await().atMost(Duration.ofSeconds(20)).until(() -> text("dry-run").startsWith("A dry run found 1 dead letters"));
            browser.findElement(By.id("confirm-replay")).click();
            await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCEEDED".equals(Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", picky)));

            // The audit log needs an admin: bob (operate) is refused; an admin, signed in after bob signs out, sees bob's actions.
            browser.get(base + "/console/audit");
            assertTrue(browser.getPageSource().contains("forbidden"), browser.getPageSource());
            String bobsCookie = browser.manage().getCookieNamed("fanout_session").getValue();
            browser.get(base + "/console");
            browser.findElement(By.cssSelector("form.who button")).click();
            await().atMost(Duration.ofSeconds(20)).until(() -> browser.getCurrentUrl().endsWith("/console/login"));
            signIn(base, new ApiTokens(cluster.db()).create("root", Scope.ADMIN, null, "test").secret());
            browser.get(base + "/console/audit");
            assertTrue(browser.findElements(By.className("audit")).stream().anyMatch(r -> r.getText().contains("bob") && r.getText().contains("job.retry")));
            screenshot("audit");

            // The same action without the form's CSRF token, with a signed-in cookie: refused.
            String cookie = browser.manage().getCookieNamed("fanout_session").getValue();
            assertTrue(!cookie.equals(bobsCookie), "signing out ended bob's session");
            HttpResponse<String> forged = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/console/jobs/" + jobs[0] + "/cancel"))
                    .header("Cookie", "fanout_session=" + cookie).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, forged.statusCode(), forged.body());
            assertTrue(forged.body().contains("csrf"), forged.body());
        }
    }

    @Test
    void aWorkflowRunIsDrawnAsItsGraphWithItsNodesStatesAndTheInstallationIsShown() throws Exception {
        Semaphore gate = new Semaphore(0);
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            cluster.startExecutor(Map.of("quick", ctx -> 1, "gated", ctx -> {
                gate.acquire();
                return 2;
            }));
            String base = "http://127.0.0.1:" + server.port();
            signIn(base, new ApiTokens(cluster.db()).create("carol", Scope.READ, null, "test").secret());
            io.fanout.shared.workflow.WorkflowDefinition diamond = io.fanout.shared.workflow.Workflows.define("drawn-" + UUID.randomUUID())
                    .node("a", JobRequests.builder("quick").build())
                    .node("b", JobRequests.builder("quick").build(), "a")
                    .node("c", JobRequests.builder("quick").build(), "a")
                    .node("d", JobRequests.builder("gated").build(), "b", "c")
                    .build();
            UUID run = cluster.client().run(io.fanout.shared.workflow.Workflows.run(diamond, null));
            await().atMost(Duration.ofSeconds(30)).until(() -> { // the run is listed once a coordinator has taken its request
                browser.get(base + "/console/workflow-runs");
                return !browser.findElements(By.linkText(run.toString())).isEmpty();
            });
            browser.findElement(By.linkText(run.toString())).click();
            // the page of a running run reloads itself: both nodes are read in one retried condition
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> browser.findElement(By.id("node-d")).getAttribute("class").contains("node-RUNNING")
                            && browser.findElement(By.id("node-b")).getAttribute("class").contains("node-SUCCEEDED"));
            screenshot("running");
            gate.release();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> text("run-state").equals("SUCCEEDED"));
            assertTrue(browser.findElement(By.id("node-d")).getAttribute("class").contains("node-SUCCEEDED"));
            screenshot("done");

            cluster.coordinator().schedules().put("nightly-report", "0 2 * * *", "UTC", "{\"processor\": \"quick\"}", "forbid");
            browser.get(base + "/console/schedules");
            assertTrue(browser.getPageSource().contains("nightly-report"));
            browser.get(base + "/console/executors");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                browser.navigate().refresh();
                return browser.findElements(By.className("executor")).size() == 1;
            });
            screenshot("executors");
        }
    }
}
