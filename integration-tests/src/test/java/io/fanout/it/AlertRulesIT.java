package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fanout.cli.HealthCheck;
import io.fanout.client.FanoutClient;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Prometheus alerting rules of deploy/prometheus and the health checks of compose.yaml, against
 * what Fanout's processes really export and answer:
 * <ul>
 *   <li>{@code promtool check rules} and {@code promtool test rules} (every alert has a unit test)
 *       pass; skipped without promtool (Debian: {@code apt-get install prometheus}) unless
 *       FANOUT_PROMTOOL_TESTS=required, as CI sets it;</li>
 *   <li>every metric, and every label and label value, that a rule reads is exported on /metrics
 *       by a coordinator or an executor started as processes by the {@code fanout} command, so a
 *       renamed meter or tag fails here, not silently in production;</li>
 *   <li>the pool gauges tell a pool with executors from a pool whose tasks wait with none;</li>
 *   <li>the health-check commands of compose.yaml, run as written (but for the paths and ports),
 *       pass against the coordinator, the executor and the console.</li>
 * </ul>
 */
class AlertRulesIT {

    private static final Path ROOT = repositoryRoot();
    private static final Path RULES = ROOT.resolve("deploy/prometheus/fanout-alerts.yml");
    private static final Path RULE_TESTS = ROOT.resolve("deploy/prometheus/fanout-alerts.test.yml");
    /** Labels Prometheus adds to every scraped series (and {@code up}, which it makes itself). */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance");
    private static final Set<String> PROMETHEUS_OWN = Set.of("up");

    private final FanoutProcesses processes = new FanoutProcesses();

    @AfterEach
    void stopProcesses() {
        processes.close();
    }

    @Test
    void promtoolChecksTheRulesAndTheirUnitTestsPass() throws Exception {
        String promtool = promtool();
        boolean required = "required".equals(System.getenv("FANOUT_PROMTOOL_TESTS"));
        if (promtool == null && required) {
            throw new AssertionError("FANOUT_PROMTOOL_TESTS=required but promtool is not on the PATH (Debian: apt-get install prometheus)");
        }
        assumeTrue(promtool != null, "promtool is not installed, so the alerting rules are not checked by it (Debian: apt-get install prometheus)");
        Result check = run(RULES.getParent(), promtool, "check", "rules", RULES.getFileName().toString());
        assertEquals(0, check.exitCode(), check.output());
        assertThat(check.output()).contains("SUCCESS");
        Result test = run(RULE_TESTS.getParent(), promtool, "test", "rules", RULE_TESTS.getFileName().toString());
        assertEquals(0, test.exitCode(), test.output());
        assertThat(test.output()).contains("SUCCESS");

        // every alert of the rules file has a test case that expects it to fire
        Set<String> alerts = new TreeSet<>(rules().keySet());
        Set<String> firing = new TreeSet<>();
        for (Map<String, Object> t : list(yaml(RULE_TESTS).get("tests"))) {
            for (Map<String, Object> a : list(t.get("alert_rule_test"))) {
                if (!list(a.get("exp_alerts")).isEmpty()) {
                    firing.add((String) a.get("alertname"));
                }
            }
        }
        assertThat(firing).as("alerts that a unit test expects to fire").isEqualTo(alerts);
    }

    @Test
    void everyMetricTheRulesReadIsExportedAndTheComposeHealthChecksPass() throws Exception {
        String bootstrap = SharedInfrastructure.bootstrapServers();
        String jdbcUrl = SharedInfrastructure.newDatabase();
        TopicNames topics = new TopicNames("alerts-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        String[] kafka = {"--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix()};
        String[] db = {"--jdbc-url", jdbcUrl, "--db-user", SharedInfrastructure.dbUser()};
        FanoutProcesses.Result applied = processes.run(concat(new String[] {"topics", "apply", "--coordinator-partitions", "2", "--task-partitions", "2",
                "--pool", "cpu=2"}, kafka));
        assertEquals(0, applied.exitCode(), applied.err());

        int coordinatorPort = freePort();
        int executorPort = freePort();
        int consolePort = freePort();
        processes.start(concat(concat(new String[] {"coordinator", "--pools", "default,cpu", "--group-id", topics.prefix() + "coordinators",
                "--metrics-port", Integer.toString(coordinatorPort)}, kafka), db));
        // the executors' default consumer group, which the coordinator's pool gauges read (no other test uses it)
        processes.start(concat(new String[] {"executor", "--examples", "--metrics-port", Integer.toString(executorPort), "--executor-id", "alerts-executor"}, kafka));
        processes.start(concat(concat(new String[] {"console", "--bind", "127.0.0.1:" + consolePort}, kafka), db));

        try (FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
            UUID greet = client.submit(JobRequests.builder("greet").params(Map.of("name", "alerts")).build());
            assertEquals(JobEvent.Type.SUCCEEDED, client.await(greet, Duration.ofMinutes(2)).type());
            client.submit(JobRequests.builder("greet").pool("cpu").build()); // pool cpu has no executor: its task waits
        }

        // The pools as the coordinator reads them from Kafka: the default pool has its executor and nothing waiting; cpu has a task and none.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<String, List<Map<String, String>>> c = series(scrape(coordinatorPort));
            assertThat(value(c, "fanout_pool_executors", Map.of("pool", "default"))).isEqualTo(1.0);
            assertThat(value(c, "fanout_pool_lag", Map.of("pool", "default"))).isEqualTo(0.0);
            assertThat(value(c, "fanout_pool_executors", Map.of("pool", "cpu"))).isEqualTo(0.0);
            assertThat(value(c, "fanout_pool_lag", Map.of("pool", "cpu"))).isEqualTo(1.0);
        });

        String coordinatorScrape = scrape(coordinatorPort);
        String executorScrape = scrape(executorPort);
        Files.writeString(Path.of("target", "coordinator-metrics.txt"), coordinatorScrape); // for a look at what is exported
        Files.writeString(Path.of("target", "executor-metrics.txt"), executorScrape);
        Map<String, List<Map<String, String>>> exported = new LinkedHashMap<>(series(coordinatorScrape));
        series(executorScrape).forEach((name, s) -> exported.merge(name, s, (a, b) -> {
            List<Map<String, String>> all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        }));
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> rule : rules().entrySet()) {
            String expr = (String) rule.getValue().get("expr");
            Set<String> labelsOfRule = new TreeSet<>(TARGET_LABELS);
            for (Selector s : PromQl.selectors(expr)) {
                if (PROMETHEUS_OWN.contains(s.metric())) {
                    continue;
                }
                List<Map<String, String>> found = exported.get(s.metric());
                if (found == null) {
                    problems.add(rule.getKey() + ": no process exports " + s.metric());
                    continue;
                }
                found.forEach(labels -> labelsOfRule.addAll(labels.keySet()));
                for (LabelMatcher m : s.matchers()) {
                    if (TARGET_LABELS.contains(m.label())) {
                        continue;
                    }
                    if (found.stream().noneMatch(l -> l.containsKey(m.label()))) {
                        problems.add(rule.getKey() + ": " + s.metric() + " has no label " + m.label() + " (it has " + found.get(0).keySet() + ")");
                    } else if (m.op().equals("=") && found.stream().noneMatch(l -> m.value().equals(l.get(m.label())))) {
                        problems.add(rule.getKey() + ": no series " + s.metric() + "{" + m.label() + "=\"" + m.value() + "\"} is exported (values: "
                                + found.stream().map(l -> l.get(m.label())).distinct().toList() + ")");
                    }
                }
            }
            for (String label : PromQl.groupingLabels(expr)) {
                if (!labelsOfRule.contains(label)) {
                    problems.add(rule.getKey() + ": groups by " + label + ", a label none of its metrics has");
                }
            }
            Object annotations = rule.getValue().get("annotations");
            for (String label : PromQl.templateLabels(annotations == null ? "" : annotations.toString())) {
                if (!labelsOfRule.contains(label)) {
                    problems.add(rule.getKey() + ": its annotations name $labels." + label + ", a label none of its metrics has");
                }
            }
        }
        assertThat(problems).as("metrics and labels the alerting rules read but no Fanout process exports").isEmpty();

        // compose.yaml's health checks, as written but for where the classes are and which ports the processes got
        assertEquals(0, composeHealthCheck("coordinator", Map.of(9400, coordinatorPort)).exitCode());
        assertEquals(0, composeHealthCheck("executor", Map.of(9401, executorPort)).exitCode());
        await().atMost(Duration.ofSeconds(60)).until(() -> composeHealthCheck("console", Map.of(8080, consolePort)).exitCode() == 0);
        Result nothingThere = composeHealthCheck("coordinator", Map.of(9400, freePort()));
        assertEquals(1, nothingThere.exitCode(), "a process that does not answer is unhealthy");
        assertThat(nothingThere.output()).contains("unhealthy: http://127.0.0.1:").contains("did not answer");
    }

    /** Runs the health-check command compose.yaml gives {@code service}, with the classes of this build and the ports moved as {@code ports} says. */
    @SuppressWarnings("unchecked")
    private Result composeHealthCheck(String service, Map<Integer, Integer> ports) throws Exception {
        Map<String, Object> s = (Map<String, Object>) ((Map<String, Object>) yaml(ROOT.resolve("compose.yaml")).get("services")).get(service);
        Map<String, Object> healthcheck = (Map<String, Object>) s.get("healthcheck");
        List<String> test = new ArrayList<>((List<String>) healthcheck.get("test"));
        assertEquals("CMD", test.remove(0), service + ": the health check runs a command, not a shell (the image's /bin/sh has no /dev/tcp)");
        String classes = Path.of(HealthCheck.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> command = new ArrayList<>();
        for (String arg : test) {
            String a = arg.equals("java") ? ProcessHandle.current().info().command().orElse("java") : arg.replace("/opt/fanout/classes", classes);
            for (Map.Entry<Integer, Integer> p : ports.entrySet()) {
                a = a.replace("127.0.0.1:" + p.getKey() + "/", "127.0.0.1:" + p.getValue() + "/");
            }
            command.add(a);
        }
        long started = System.nanoTime();
        Result r = run(ROOT, command.toArray(String[]::new));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        Duration timeout = Duration.parse("PT" + healthcheck.get("timeout").toString().toUpperCase());
        assertThat(took).as(service + "'s health check must end well within its timeout").isLessThan(timeout);
        return r;
    }

    // --- PromQL, as far as the rules need it ---

    record LabelMatcher(String label, String op, String value) {
    }

    record Selector(String metric, List<LabelMatcher> matchers) {
    }

    /** Reads the metric selectors, grouping labels and template labels out of rule expressions. */
    static final class PromQl {

        private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
                "group_right", "inf", "nan");
        private static final java.util.regex.Pattern GROUPING = java.util.regex.Pattern.compile(
                "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
        private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile(
                "\"(?:[^\"\\\\]|\\\\.)*\"|\\[[^\\]]*]|[0-9][0-9a-zA-Z.]*|([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\()?|\\{([^}]*)}");
        private static final java.util.regex.Pattern MATCHER = java.util.regex.Pattern.compile(
                "([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

        static List<Selector> selectors(String expr) {
            String e = GROUPING.matcher(expr).replaceAll(" ");
            List<Selector> out = new ArrayList<>();
            java.util.regex.Matcher t = TOKEN.matcher(e);
            String pending = null;
            while (t.find()) {
                if (t.group(3) != null) { // {matchers}, of the name before it (or a selector without a name)
                    List<LabelMatcher> ms = new ArrayList<>();
                    java.util.regex.Matcher m = MATCHER.matcher(t.group(3));
                    while (m.find()) {
                        ms.add(new LabelMatcher(m.group(1), m.group(2), m.group(3)));
                    }
                    String name = pending != null ? pending : ms.stream().filter(x -> x.label().equals("__name__")).map(LabelMatcher::value).findFirst()
                            .orElseThrow(() -> new IllegalArgumentException("a selector without a metric name in " + expr));
                    out.add(new Selector(name, ms));
                    pending = null;
                    continue;
                }
                if (pending != null) {
                    out.add(new Selector(pending, List.of()));
                    pending = null;
                }
                String ident = t.group(1);
                if (ident != null && t.group(2) == null && !KEYWORDS.contains(ident.toLowerCase())) {
                    pending = ident;
                }
            }
            if (pending != null) {
                out.add(new Selector(pending, List.of()));
            }
            return out;
        }

        static Set<String> groupingLabels(String expr) {
            Set<String> labels = new LinkedHashSet<>();
            java.util.regex.Matcher g = GROUPING.matcher(expr);
            while (g.find()) {
                for (String l : g.group(1).split(",")) {
                    if (!l.isBlank()) {
                        labels.add(l.strip());
                    }
                }
            }
            return labels;
        }

        static Set<String> templateLabels(String text) {
            Set<String> labels = new LinkedHashSet<>();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$labels\\.([a-zA-Z_][a-zA-Z0-9_]*)").matcher(text);
            while (m.find()) {
                labels.add(m.group(1));
            }
            return labels;
        }
    }

    @Test
    void thePromQlReaderFindsSelectorsNotFunctionsOrLabels() {
        List<Selector> s = PromQl.selectors("max without (instance) (fanout_pool_lag) > 0 and max without (instance) (fanout_pool_executors{pool=~\"a|b\"}) == 0");
        assertThat(s).containsExactly(new Selector("fanout_pool_lag", List.of()),
                new Selector("fanout_pool_executors", List.of(new LabelMatcher("pool", "=~", "a|b"))));
        assertThat(PromQl.selectors("sum without (id) (increase(x_total{state=\"FAILED\", a!=\"b\"}[10m] offset 5m)) / up > 0.9"))
                .containsExactly(new Selector("x_total", List.of(new LabelMatcher("state", "=", "FAILED"), new LabelMatcher("a", "!=", "b"))),
                        new Selector("up", List.of()));
        assertThat(PromQl.selectors("absent(fanout_coordinator_partitions_owned)")).containsExactly(new Selector("fanout_coordinator_partitions_owned", List.of()));
        assertThat(PromQl.groupingLabels("sum without (instance, id) (a) / on(job) b")).containsExactly("instance", "id", "job");
    }

    // --- plumbing ---

    /** Every alerting rule of the rules file, by name. */
    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> rules() throws IOException {
        Map<String, Map<String, Object>> rules = new LinkedHashMap<>();
        for (Map<String, Object> group : list(yaml(RULES).get("groups"))) {
            for (Map<String, Object> rule : list(group.get("rules"))) {
                if (rules.put((String) rule.get("alert"), rule) != null) {
                    throw new AssertionError("two alerts named " + rule.get("alert"));
                }
            }
        }
        return rules;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return o == null ? List.of() : (List<Map<String, Object>>) o;
    }

    private static Map<String, Object> yaml(Path file) throws IOException {
        return new Yaml().load(Files.readString(file));
    }

    /** The series of a scrape: metric name to the labels of each of its series (value under "__value__"). */
    static Map<String, List<Map<String, String>>> series(String scrape) {
        Map<String, List<Map<String, String>>> out = new LinkedHashMap<>();
        java.util.regex.Pattern label = java.util.regex.Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < space) {
                int close = line.lastIndexOf('}');
                java.util.regex.Matcher m = label.matcher(line.substring(brace + 1, close));
                while (m.find()) {
                    labels.put(m.group(1), m.group(2));
                }
                labels.put("__value__", line.substring(close + 1).strip().split(" ")[0]);
            } else {
                labels.put("__value__", line.substring(space + 1).strip().split(" ")[0]);
            }
            out.computeIfAbsent(name, n -> new ArrayList<>()).add(labels);
        }
        return out;
    }

    /** The value of the one series of {@code metric} with {@code labels}. */
    private static double value(Map<String, List<Map<String, String>>> series, String metric, Map<String, String> labels) {
        return series.getOrDefault(metric, List.of()).stream()
                .filter(l -> labels.entrySet().stream().allMatch(e -> e.getValue().equals(l.get(e.getKey()))))
                .map(l -> Double.parseDouble(l.get("__value__")))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + metric + labels));
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    record Result(int exitCode, String output) {
    }

    private static Result run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end");
        }
        return new Result(p.exitValue(), out);
    }

    /** promtool on the PATH, or null. */
    private static String promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("compose.yaml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no compose.yaml above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
