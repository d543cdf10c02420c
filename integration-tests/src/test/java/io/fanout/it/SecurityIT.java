package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.client.FanoutClient;
import io.fanout.console.DeadLetters;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.embedded.EmbeddedKafka;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.query.LetterQueries;
import io.fanout.shared.KafkaClientSettings;
import io.fanout.shared.TopicNames;
import io.fanout.shared.command.CommandResult;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.model.ExecutorHeartbeat;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.ExecutorRegistry;
import io.fanout.topics.PoolStatus;
import io.fanout.topics.RoleAcls;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka security per role, against a real broker: every Fanout process authenticates with
 * SASL/SCRAM-SHA-512 over TLS, and KRaft's StandardAuthorizer denies whatever no ACL allows. The
 * ACLs are the ones {@code fanout topics acls --apply} creates, for a custom topic prefix, custom
 * groups and two pools, so every name in them has to be derived right.
 *
 * <p>This class starts a broker of its own (in this JVM, {@link EmbeddedKafka} with a listener and
 * an authorizer added) instead of adding them to the shared broker: the SASL_SSL listener needs a
 * key store made before the broker starts (a keytool run every test run would pay for), and an
 * authorizer that denies by default is something the other test classes should not have to care
 * about. It costs a few seconds. Its PLAINTEXT listener (principal ANONYMOUS, a super user, as the
 * inter-broker and controller principal must be) is used once, to create the SCRAM users;
 * everything else goes through the SASL_SSL listener.
 */
class SecurityIT {

    private static final String SECURE = "SECURE";
    private static final String STORE_PASSWORD = "changeit-" + UUID.randomUUID();
    private static final String ADMIN = "fanout-admin";
    private static final List<String> ROLES = List.of("coordinator", "executor", "client", "console");

    private static final TopicNames TOPICS = new TopicNames("sec-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    private static final String COORDINATOR_GROUP = TOPICS.prefix() + "coord";
    private static final String EXECUTOR_GROUP = TOPICS.prefix() + "exec";
    private static final Set<String> POOLS = Set.of("default", "gpu");

    private static Path dir;
    private static Path trustStore;
    private static EmbeddedKafka broker;
    private static String secureServers;
    private static FanoutProcesses cli;

    @BeforeAll
    static void startSecuredBroker() throws Exception {
        dir = Files.createTempDirectory("fanout-security-");
        Path keyStore = dir.resolve("broker.p12");
        trustStore = dir.resolve("trust.p12");
        makeKeyStores(keyStore, trustStore);
        Map<String, String> settings = new HashMap<>();
        settings.put("listeners", EmbeddedKafka.LISTENER + "://localhost:0," + EmbeddedKafka.CONTROLLER_LISTENER + "://localhost:0," + SECURE + "://localhost:0");
        settings.put("listener.security.protocol.map", EmbeddedKafka.LISTENER + ":PLAINTEXT," + EmbeddedKafka.CONTROLLER_LISTENER + ":PLAINTEXT," + SECURE + ":SASL_SSL");
        settings.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        settings.put("allow.everyone.if.no.acl.found", "false");
        settings.put("super.users", "User:ANONYMOUS;User:" + ADMIN);
        String l = "listener.name." + SECURE.toLowerCase() + ".";
        settings.put(l + "sasl.enabled.mechanisms", "SCRAM-SHA-512");
        settings.put(l + "scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        settings.put(l + "ssl.keystore.type", "PKCS12");
        settings.put(l + "ssl.keystore.location", keyStore.toString());
        settings.put(l + "ssl.keystore.password", STORE_PASSWORD);
        settings.put(l + "ssl.key.password", STORE_PASSWORD);
        broker = EmbeddedKafka.start(settings);
        secureServers = broker.bootstrapServers(SECURE);

        try (Admin anonymous = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            anonymous.alterUserScramCredentials(java.util.stream.Stream.concat(java.util.stream.Stream.of(ADMIN), ROLES.stream())
                    .<org.apache.kafka.clients.admin.UserScramCredentialAlteration>map(u -> new UserScramCredentialUpsertion(u,
                            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password(u)))
                    .toList()).all().get(30, TimeUnit.SECONDS);
        }
        try (Admin admin = Admin.create(as(ADMIN))) {
            // the credentials reach the broker's metadata a moment after the controller accepted them
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> !admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty());
            new TopicProvisioner(admin).apply(new TopicLayout(TOPICS, 2, 2, Map.of("gpu", 2)));
        }

        cli = new FanoutProcesses();
        FanoutProcesses.Result applied = applyAcls();
        assertEquals(0, applied.exitCode(), applied.err());
        assertThat(applied.out()).contains("created " + expectedAcls().grants().size() + " ACLs; 0 were in place");
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (cli != null) {
            cli.close();
        }
        if (broker != null) {
            broker.close();
        }
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
    }

    /** The ACLs of this installation, as the command line is asked for them below. */
    private static RoleAcls expectedAcls() {
        return RoleAcls.builder(TOPICS).coordinatorPrincipal("User:coordinator").executorPrincipal("User:executor").clientPrincipal("User:client")
                .consolePrincipal("User:console")
                .pools(POOLS).coordinatorGroup(COORDINATOR_GROUP).executorGroup(EXECUTOR_GROUP)
                .taskSources(Set.of(RoleAcls.TaskSource.GROUP, RoleAcls.TaskSource.SHARE)).build();
    }

    /** {@code fanout topics acls --apply} as the administrator, over SASL_SSL, its credentials in a --kafka-config file. */
    private static FanoutProcesses.Result applyAcls() throws Exception {
        Path adminConfig = dir.resolve("admin.properties");
        Properties p = new Properties();
        as(ADMIN).forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                p.setProperty(k, v.toString());
            }
        });
        try (Writer w = Files.newBufferedWriter(adminConfig)) {
            p.store(w, "the administrator's client settings");
        }
        return cli.run("topics", "acls", "--apply", "--bootstrap-servers", secureServers, "--kafka-config", adminConfig.toString(),
                "--topic-prefix", TOPICS.prefix(), "--pools", "default,gpu", "--coordinator-group-id", COORDINATOR_GROUP,
                "--executor-group-id", EXECUTOR_GROUP, "--task-source", "group,share", "--coordinator-principal", "User:coordinator",
                "--executor-principal", "User:executor", "--client-principal", "User:client",
                "--console-principal", "User:console");
    }

    /** Client settings of a SCRAM user over the TLS listener, as a Fanout process of that role is given them. */
    private static Map<String, Object> as(String user) {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", secureServers);
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password(user) + "\";");
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", trustStore.toString());
        p.put("ssl.truststore.password", STORE_PASSWORD);
        return p;
    }

    private static String password(String user) {
        return user + "-secret-" + STORE_PASSWORD.substring(9, 17);
    }

    /**
     * The broker's key and self-signed certificate (for localhost) by the JDK's keytool, and a trust
     * store holding that certificate by the JDK's KeyStore API. Nothing is downloaded.
     */
    private static void makeKeyStores(Path keyStore, Path trust) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD)
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + output);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            keys.load(in, STORE_PASSWORD.toCharArray());
        }
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("broker", keys.getCertificate("broker"));
        try (OutputStream out = Files.newOutputStream(trust)) {
            trusted.store(out, STORE_PASSWORD.toCharArray());
        }
    }

    @Test
    void theCommandLineCreatedExactlyTheRolesAclsAndApplyingThemAgainChangesNothing() throws Exception {
        Set<AclBinding> wanted = new HashSet<>(expectedAcls().grants().stream().map(RoleAcls.Grant::binding).toList());
        try (Admin admin = Admin.create(as(ADMIN))) {
            assertEquals(wanted, new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get()));
            FanoutProcesses.Result again = applyAcls();
            assertEquals(0, again.exitCode(), again.err());
            assertThat(again.out().strip()).isEqualTo("all " + wanted.size() + " ACLs are in place");
            assertEquals(wanted, new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get()));
        }
    }

    @Test
    void anExecutorCannotSubmitJobsAndAClientCannotForgeStatusOrTasks() throws Exception {
        try (KafkaProducer<byte[], byte[]> executor = producer("executor")) {
            assertDenied(executor, TOPICS.jobs());
            executor.send(new ProducerRecord<>(TOPICS.executors(), "nobody".getBytes(StandardCharsets.UTF_8), null)).get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<byte[], byte[]> client = producer("client")) {
            assertDenied(client, TOPICS.status());
            assertDenied(client, TOPICS.tasks());
            assertDenied(client, TOPICS.tasks("gpu"));
        }
        Map<String, Object> reader = new HashMap<>(as("client"));
        try (KafkaConsumer<byte[], byte[]> client = new KafkaConsumer<>(reader, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            assertThrows(TopicAuthorizationException.class, () -> client.partitionsFor(TOPICS.status(), Duration.ofSeconds(30)));
            assertEquals(2, client.partitionsFor(TOPICS.jobEvents(), Duration.ofSeconds(30)).size());
        }
    }

    /** Issue 22: the console's role writes requests and commands and reads events; it cannot act as a coordinator or an executor. */
    @Test
    void theConsoleWritesTheJobsTopicAndReadsEventsAndNothingElse() throws Exception {
        try (KafkaProducer<byte[], byte[]> console = producer("console")) {
            console.send(new ProducerRecord<>(TOPICS.jobs(), "{}".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            for (String topic : List.of(TOPICS.tasks(), TOPICS.tasks("gpu"), TOPICS.status(), TOPICS.control(), TOPICS.jobEvents(), TOPICS.deadLetters(),
                    TOPICS.parkedLetters(), TOPICS.reduceInputs(), TOPICS.executors())) {
                assertDenied(console, topic);
            }
        }
        try (KafkaConsumer<byte[], byte[]> console = new KafkaConsumer<>(new HashMap<>(as("console")), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            assertEquals(2, console.partitionsFor(TOPICS.jobEvents(), Duration.ofSeconds(30)).size());
            assertThrows(TopicAuthorizationException.class, () -> console.partitionsFor(TOPICS.status(), Duration.ofSeconds(30)));
            assertThrows(TopicAuthorizationException.class, () -> console.partitionsFor(TOPICS.deadLetters(), Duration.ofSeconds(30)));
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String role) {
        // the settings every Fanout producer has (idempotent, acks=all): no cluster ACL is needed for them
        return new KafkaProducer<>(KafkaClientSettings.reliableProducer(as(role), "security-it-" + role), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static void assertDenied(KafkaProducer<byte[], byte[]> producer, String topic) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> producer.send(new ProducerRecord<>(topic, "forged".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS));
        assertInstanceOf(TopicAuthorizationException.class, e.getCause(), topic);
    }

    /** Squares 1..20 and sums them; while {@code broken}, item 7 fails for good (a dead letter). */
    static final class Squares implements MapReduceProcessor {
        final AtomicBoolean broken = new AtomicBoolean();

        @Override
        public Object process(TaskContext ctx) {
            if (ctx.isRoot()) {
                return ctx.map(IntStream.rangeClosed(1, 20).boxed().toList(), "square");
            }
            long i = ctx.payload(Integer.class);
            if (broken.get() && i == 7) {
                throw new NonRetryableException("item 7 is broken");
            }
            return i * i;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }
    }

    /** Each task sleeps until it is interrupted (by a cancel). */
    static final class Slow implements Processor {
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger interrupted = new AtomicInteger();

        @Override
        public Object process(TaskContext ctx) throws Exception {
            started.incrementAndGet();
            try {
                Thread.sleep(Duration.ofMinutes(2));
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
            return null;
        }
    }

    /** A thread of theirs that Kafka refused (the control listener, the dead-letter indexer...) makes a process unhealthy for good. */
    private static void assertHealthy(Coordinator coordinator, FanoutExecutor... executors) {
        assertTrue(coordinator.health().healthy(), () -> "coordinator: " + coordinator.health().failure());
        for (FanoutExecutor e : executors) {
            assertTrue(e.health().healthy(), () -> e.id() + ": " + e.health().failure());
        }
    }

    @Test
    void aCoordinatorExecutorsAndAClientWithOnlyTheirRolesAclsRunRealJobs() throws Exception {
        long sum = IntStream.rangeClosed(1, 20).mapToLong(i -> (long) i * i).sum();
        Squares squares = new Squares();
        squares.broken.set(true);
        Slow slow = new Slow();
        Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().kafka(as("coordinator")).topics(TOPICS).groupId(COORDINATOR_GROUP)
                .database(SharedInfrastructure.newDatabase(), SharedInfrastructure.dbUser(), null).pools(POOLS).build());
        FanoutExecutor cpu = null;
        FanoutExecutor gpu = null;
        FanoutClient client = null;
        try {
            cpu = FanoutExecutor.start(ExecutorConfig.builder().kafka(as("executor")).topics(TOPICS).groupId(EXECUTOR_GROUP).executorId("cpu-1")
                    .heartbeatInterval(Duration.ofSeconds(1)).processors(Map.of("squares", squares, "slow", slow)).build());
            gpu = FanoutExecutor.start(ExecutorConfig.builder().kafka(as("executor")).topics(TOPICS).groupId(EXECUTOR_GROUP).executorId("gpu-1")
                    .pool("gpu").taskSource(ExecutorConfig.TaskSource.SHARE).heartbeatInterval(Duration.ofSeconds(1))
                    .processors(Map.of("squares", squares)).build());
            client = FanoutClient.connect(as("client"), TOPICS);

            // default pool (a consumer group): a map, a task failing for good, its dead letter indexed, replayed, and the reduce
            UUID job = client.submit(JobRequests.builder("squares").build());
            JobEvent failed = client.await(job, Duration.ofMinutes(2));
            assertEquals(JobEvent.Type.FAILED, failed.type(), failed.toString());
            assertEquals(1, failed.tasks().failed());
            DeadLetters letters = new DeadLetters(coordinator.dataSource(), client, Duration.ofSeconds(30)); // replays and parks are commands, sent with the client's ACLs
            LetterQueries.Filter ofJob = new LetterQueries.Filter(job, null, null, null, 10);
            await().atMost(Duration.ofMinutes(1)).until(() -> letters.list(ofJob).size() == 1);
            squares.broken.set(false);
            client.follow(job);
            assertTrue(letters.replayJob(job, "security-it", false).stream().allMatch(LetterResult::done));
            JobEvent replayed = client.await(job, Duration.ofMinutes(2));
            assertEquals(JobEvent.Type.SUCCEEDED, replayed.type(), replayed.toString());
            assertEquals(sum, replayed.result().asLong());

            // a dead letter parked (the parked-letters topic), as fanout dlq park and the console do
            squares.broken.set(true);
            UUID failing = client.submit(JobRequests.builder("squares").build());
            assertEquals(JobEvent.Type.FAILED, client.await(failing, Duration.ofMinutes(2)).type());
            LetterQueries.Filter ofFailing = new LetterQueries.Filter(failing, null, null, null, 10);
            await().atMost(Duration.ofMinutes(1)).until(() -> letters.list(ofFailing).size() == 1);
            LetterResult parked = letters.park(letters.list(ofFailing).get(0).id(), "security-it");
            assertTrue(parked.done(), parked.outcome());
            squares.broken.set(false);

            // a cancel: the order goes out on the control topic and stops the running tasks in the executor
            UUID slowJob = client.submit(JobRequests.builder("slow").items(List.of(1, 2), "wait").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> slow.started.get() == 2);
            CommandResult cancelled = client.cancel(slowJob, "security-it", Duration.ofSeconds(30)); // a command, sent with the client's ACLs
            assertTrue(cancelled.done(), cancelled.message());
            assertEquals(JobEvent.Type.CANCELLED, client.await(slowJob, Duration.ofSeconds(30)).type());
            await().atMost(Duration.ofSeconds(30)).until(() -> slow.interrupted.get() == 2);

            // the gpu pool (a share group), the job submitted and followed as the API does it, with the coordinators' principal
            try (FanoutClient api = FanoutClient.connect(as("coordinator"), TOPICS)) {
                UUID onGpu = api.submit(JobRequests.builder("squares").pool("gpu").build());
                JobEvent done = api.await(onGpu, Duration.ofMinutes(2));
                assertEquals(JobEvent.Type.SUCCEEDED, done.type(), done.toString());
                assertEquals(sum, done.result().asLong());
            }

            assertHealthy(coordinator, cpu, gpu);

            // what the console and fanout executors show, read as the coordinator
            await().atMost(Duration.ofSeconds(30)).until(() -> ExecutorRegistry.read(as("coordinator"), TOPICS, Instant.now()).live().stream()
                    .map(ExecutorHeartbeat::id).collect(java.util.stream.Collectors.toSet()).containsAll(Set.of("cpu-1", "gpu-1")));
            try (Admin asCoordinator = Admin.create(as("coordinator"))) {
                List<PoolStatus> pools = PoolStatus.readAll(asCoordinator, TOPICS, EXECUTOR_GROUP);
                assertEquals(List.of("default", "gpu"), pools.stream().map(PoolStatus::pool).toList());
                assertEquals(1, pools.get(0).members().size(), pools.get(0).render());
            }

            assertHealthy(coordinator, cpu, gpu);
        } finally {
            if (client != null) {
                client.close();
            }
            if (cpu != null) {
                cpu.close();
            }
            if (gpu != null) {
                gpu.close();
            }
            coordinator.close();
        }
    }
}
