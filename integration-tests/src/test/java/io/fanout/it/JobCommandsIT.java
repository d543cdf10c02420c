package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.executor.api.Processor;
import io.fanout.shared.command.CommandResult;
import io.fanout.shared.command.JobCommand;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Commands are records on the jobs topic that only the job's coordinator carries out: each once,
 * whoever sends it and however often, answered on the job-events topic, and never reported done
 * when it is not.
 */
class JobCommandsIT {

    private static final Duration ANSWER = Duration.ofSeconds(30);

    /** Tasks that wait until the test lets them go. */
    static final class Gate implements Processor {
        volatile boolean open;
        final AtomicInteger ran = new AtomicInteger();

        @Override
        public Object process(io.fanout.executor.api.TaskContext ctx) throws Exception {
            await().forever().pollInterval(Duration.ofMillis(20)).until(() -> open);
            ran.incrementAndGet();
            return null;
        }
    }

    @Test
    void aCommandSentAgainIsAnsweredAgainButCarriedOutOnce() throws Exception {
        Gate gate = new Gate();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("gate", gate), b -> b.concurrency(2));
            UUID job = cluster.client().submit(JobRequests.builder("gate").items(IntStream.range(0, 10).boxed().toList(), "wait").build());
            await().atMost(ANSWER).until(() -> "RUNNING".equals(Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job)));

            JobCommand suspend = JobCommand.of(JobCommand.Kind.SUSPEND, job, "dave");
            CommandResult first = cluster.client().command(suspend, ANSWER);
            assertTrue(first.done(), first.message());
            assertTrue(cluster.client().resume(job, "dave", ANSWER).done());
            CommandResult again = cluster.client().command(suspend, ANSWER); // the same command, read again (a client's retry)
            assertTrue(again.done(), again.message());
            assertEquals(first.message(), again.message(), "answered as it was the first time");
            assertEquals("RUNNING", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job), "an old command undoes no newer one");
            assertEquals(2, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_command WHERE target = ?", job));

            cluster.client().follow(job);
            gate.open = true;
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(job, ANSWER).type());
            assertEquals(10, gate.ran.get());
        }
    }

    @Test
    void aCommandOnAnotherPartitionThanItsJobsIsForwardedToTheJobsOwner() throws Exception {
        Gate gate = new Gate();
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", SharedInfrastructure.bootstrapServers()),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            cluster.startExecutor(Map.of("gate", gate));
            UUID job = cluster.client().submit(JobRequests.builder("gate").items(IntStream.range(0, 4).boxed().toList(), "wait").build());
            await().atMost(ANSWER).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE job_id = ?", job) == 1);
            int owner = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);

            // any Kafka client may send a command, keyed as it likes: here to the partition that does not own the job
            JobCommand cancel = JobCommand.of(JobCommand.Kind.CANCEL, job, "a script");
            producer.send(new ProducerRecord<>(cluster.topics.jobs(), 1 - owner, "not-the-job-id".getBytes(StandardCharsets.UTF_8), cancel.toJson())).get();
            cluster.client().follow(job);
            JobEvent outcome = cluster.client().await(job, ANSWER);
            assertEquals(JobEvent.Type.CANCELLED, outcome.type());
            assertEquals("cancelled by a script", outcome.error());
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_command WHERE command_id = ?", cancel.id()));
            gate.open = true;
        }
    }

    @Test
    void anUnreadableCommandIsRejectedWithItsReason() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", SharedInfrastructure.bootstrapServers()),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            UUID job = UUID.randomUUID();
            cluster.client().follow(job);
            String bad = "{\"command\": \"explode\", \"id\": \"" + UUID.randomUUID() + "\", \"job\": \"" + job + "\"}";
            producer.send(new ProducerRecord<>(cluster.topics.jobs(), job.toString().getBytes(StandardCharsets.UTF_8), bad.getBytes(StandardCharsets.UTF_8))).get();
            JobEvent rejected = cluster.client().await(job, ANSWER);
            assertEquals(JobEvent.Type.REJECTED, rejected.type());
            assertTrue(rejected.reason().startsWith("invalid command: unknown command 'explode' for a job (known: cancel, suspend, resume)"), rejected.reason());
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_rejected_request WHERE job_id = ?", job));
        }
    }

    /** What if the coordinator's answer never reaches Kafka (the process dies right after its commit)? The command is read again and answered. */
    @Test
    void aCommandWhoseAnswerWasLostAfterTheCommitIsAnsweredWhenReadAgainAndCarriedOutOnce() throws Exception {
        Gate gate = new Gate();
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.producerDecorator(sends))) {
            cluster.startExecutor(Map.of("gate", gate));
            UUID job = cluster.client().submit(JobRequests.builder("gate").items(IntStream.range(0, 4).boxed().toList(), "wait").build());
            await().atMost(ANSWER).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE job_id = ?", job) == 1);

            sends.failNth(1, r -> r.topic().equals(cluster.topics.jobEvents()) && new String(r.value(), StandardCharsets.UTF_8).contains("\"command\""));
            CommandResult r = cluster.client().cancel(job, "erin", ANSWER);
            assertTrue(r.done(), r.message());
            assertEquals(1, sends.failed(), "the first answer was lost");
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_command WHERE target = ?", job), "carried out once");
            assertEquals("CANCELLED", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));
            gate.open = true;
        }
    }

    @Test
    void aCommandNobodyAnswersIsReportedPendingNeverDone() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            UUID job = cluster.client().submit(JobRequests.builder("any").items(java.util.List.of(1), "x").build());
            await().atMost(ANSWER).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE job_id = ?", job) == 1);
            cluster.coordinator().close(); // no coordinator reads the command

            TimeoutException e = assertThrows(TimeoutException.class, () -> cluster.client().cancel(job, "frank", Duration.ofSeconds(3)));
            assertTrue(e.getMessage().startsWith("cancel of job " + job + " (command "), e.getMessage());
            assertTrue(e.getMessage().contains("is pending: not answered within PT3S"), e.getMessage());
            assertFalse(Sql.text(Sql.at(cluster.jdbcUrl), "SELECT state FROM fanout_job WHERE job_id = ?", job).equals("CANCELLED"));
        }
    }
}
