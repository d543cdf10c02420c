package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.client.FanoutClient;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/**
 * The worst moment for a job held back by its parallelism and a dispatch window: its coordinator
 * (a real process) is SIGKILLed mid-job, and the broker (a real process) is down for longer than the
 * surviving coordinator's delivery timeout, so sends it has committed to fail. What was committed
 * and never sent is in the outbox: the job finishes exactly, and no attempt stays counted in flight.
 */
class OutageFailoverIT {

    private static final int ITEMS = 3_000;
    private static final Duration OUTAGE = Duration.ofSeconds(8);

    /** Squares its item after a moment's work; the reduce sums. */
    static final class SlowSquareItems implements MapReduceProcessor {
        @Override
        public Object process(TaskContext ctx) throws Exception {
            Thread.sleep(5);
            long v = ctx.payload(Long.class);
            return v * v;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }
    }

    @Test
    void aJobUnderParallelismAndADispatchWindowFinishesExactlyThroughACoordinatorKillAndABrokerOutage() throws Exception {
        String jdbcUrl = SharedInfrastructure.newDatabase();
        DataSource db = Sql.at(jdbcUrl);
        TopicNames topics = new TopicNames("of-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(); FanoutProcesses processes = new FanoutProcesses()) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                new TopicProvisioner(admin).apply(new TopicLayout(topics, 2, 4));
            }
            Map<String, Process> coordinators = Map.of("coord-a", startCoordinator(processes, "coord-a", bootstrap, topics, jdbcUrl),
                    "coord-b", startCoordinator(processes, "coord-b", bootstrap, topics, jdbcUrl));
            await().atMost(Duration.ofMinutes(1)).ignoreExceptions()
                    .until(() -> Sql.count(db, "SELECT count(DISTINCT owner) FROM fanout_partition_owner") == 2);
            try (FanoutExecutor executor = FanoutExecutor.start(ExecutorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                         .groupId(topics.prefix() + "executors").processors(Map.of("squares", new SlowSquareItems())).concurrency(8).build());
                 FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
                UUID job = client.submit(JobRequests.builder("squares").items(LongStream.rangeClosed(1, ITEMS).boxed().toList(), "square")
                        .parallelism(20).build());
                await().atMost(Duration.ofMinutes(2)).ignoreExceptions()
                        .until(() -> Sql.count(db, "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job) > ITEMS / 5);
                String owner = Sql.text(db, "SELECT o.owner FROM fanout_partition_owner o JOIN fanout_job j ON j.owner_partition = o.partition "
                        + "WHERE j.job_id = ?", job);
                coordinators.get(owner).destroyForcibly();
                broker.stop();
                try {
                    Thread.sleep(OUTAGE); // the outage itself, longer than the survivor's delivery timeout
                } finally {
                    broker.startAgain();
                }
                JobEvent outcome = client.await(job, Duration.ofMinutes(4));
                assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
                assertEquals(LongStream.rangeClosed(1, ITEMS).map(i -> i * i).sum(), outcome.result().asLong());
                assertEquals(ITEMS + 1, outcome.tasks().succeeded(), "every item and the reduce, each counted once");
                assertEquals(ITEMS + 1, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job));
                assertEquals(0, Sql.count(db, "SELECT in_flight FROM fanout_job WHERE job_id = ?", job), "no attempt left counted in flight");
                assertEquals(0, Sql.count(db, "SELECT count(*) FROM fanout_task_held WHERE job_id = ?", job));
            }
        }
    }

    /**
     * An executor with a small buffer keeps finishing tasks while the broker is down for longer than
     * its delivery timeout, so its status sends fail. It sends them again once the broker is back:
     * no finished task is forgotten, no buffer slot leaks, and the executor is not left paused.
     */
    @Test
    void anExecutorWhoseStatusSendsFailForLongerThanItsDeliveryTimeoutSendsThemAgainAndTheJobFinishes() throws Exception {
        String jdbcUrl = SharedInfrastructure.newDatabase();
        DataSource db = Sql.at(jdbcUrl);
        TopicNames topics = new TopicNames("oe-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        int items = 1_500;
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(); FanoutProcesses processes = new FanoutProcesses()) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                new TopicProvisioner(admin).apply(new TopicLayout(topics, 2, 4));
            }
            startCoordinator(processes, "coord-e", bootstrap, topics, jdbcUrl);
            try (FanoutExecutor executor = FanoutExecutor.start(ExecutorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                         .groupId(topics.prefix() + "executors").processors(Map.of("squares", new SlowSquareItems())).concurrency(4).maxBuffered(8)
                         .kafka(Map.of("delivery.timeout.ms", 3000, "request.timeout.ms", 1000)).build());
                 FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
                UUID job = client.submit(JobRequests.builder("squares").items(LongStream.rangeClosed(1, items).boxed().toList(), "square").build());
                await().atMost(Duration.ofMinutes(2)).ignoreExceptions()
                        .until(() -> Sql.count(db, "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job) > items / 5);
                broker.stop();
                try {
                    Thread.sleep(OUTAGE); // longer than the executor's delivery timeout: its status sends fail meanwhile
                } finally {
                    broker.startAgain();
                }
                JobEvent outcome = client.await(job, Duration.ofMinutes(4));
                assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
                assertEquals(LongStream.rangeClosed(1, items).map(i -> i * i).sum(), outcome.result().asLong());
                assertEquals(items + 1, outcome.tasks().succeeded());
                await().atMost(Duration.ofSeconds(30)).until(() -> executor.inFlight() == 0);
                assertTrue(executor.health().healthy());
            }
        }
    }

    private static Process startCoordinator(FanoutProcesses processes, String id, String bootstrap, TopicNames topics, String jdbcUrl)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("coordinator", "--coordinator-id", id, "--bootstrap-servers", bootstrap,
                "--topic-prefix", topics.prefix(), "--group-id", topics.prefix() + "coordinators", "--jdbc-url", jdbcUrl,
                "--db-user", SharedInfrastructure.dbUser(), "--dispatch-window", "16", "--reconcile-interval", "PT2S",
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000",
                "-X", "delivery.timeout.ms=6000", "-X", "request.timeout.ms=2000", "-X", "linger.ms=1"));
        return processes.start(args.toArray(String[]::new));
    }
}
