package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.Processor;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Processor mistakes end the job FAILED with a message that says what went wrong, and where. */
class FailureIT {

    @Test
    void mappingAnUnregisteredClassFailsTheMappingTaskNamingTheClass() throws Exception {
        JobEvent outcome = runAlone("maps-unregistered", new TestProcessors.MapsUnregistered());
        assertEquals(JobEvent.Type.FAILED, outcome.type());
        assertThat(outcome.error()).contains(TestProcessors.MapsUnregistered.Undeclared.class.getName()).contains("payloadTypes()");
    }

    @Test
    void mappingWithAReservedTaskNameFails() throws Exception {
        JobEvent outcome = runAlone("maps-reserved", new TestProcessors.MapsReservedName());
        assertEquals(JobEvent.Type.FAILED, outcome.type());
        assertThat(outcome.error()).contains("fanout:reduce").contains("reserved");
    }

    /** Whatever its message holds: a NUL character, which PostgreSQL text cannot store, is kept as U+FFFD. */
    @Test
    void aThrowingProcessorFailsTheJobWithItsException() throws Exception {
        JobEvent outcome = runAlone("throws", ctx -> {
            throw new IllegalStateException("disk\0full on " + ctx.executorId());
        });
        assertEquals(JobEvent.Type.FAILED, outcome.type());
        assertEquals(1, outcome.tasks().failed());
        assertThat(outcome.error()).contains("java.lang.IllegalStateException: disk\uFFFDfull on");
    }

    @Test
    void aTaskForAProcessorTheExecutorDoesNotHaveFailsNamingItAndTheExecutor() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("other", ctx -> null), b -> b.executorId("exec-without-it"));
            UUID job = cluster.client().submit(JobRequests.builder("missing").build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.FAILED, outcome.type());
            assertThat(outcome.error()).contains("UnknownProcessor").contains("exec-without-it in pool 'default' has no processor 'missing'").contains("other");
        }
    }

    /** One task returns a result too large for a status record: that task fails, clearly, and its siblings' reports get through. */
    @Test
    void aResultTooLargeToReportFailsItsOwnTaskAndNothingElse() throws Exception {
        Processor sometimesHuge = ctx -> {
            int n = ctx.payload(Integer.class);
            return n == 2 ? "x".repeat(2 * 1024 * 1024) : "item " + n;
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("huge", sometimesHuge));
            UUID job = cluster.client().submit(JobRequests.builder("huge").items(List.of(1, 2, 3, 4), "item").maxFailedTasks(1).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
            assertEquals(3, outcome.tasks().succeeded());
            assertEquals(1, outcome.tasks().failed());
            assertEquals("io.fanout.ResultTooLarge", Sql.text(cluster.db(), "SELECT error_class FROM fanout_task WHERE job_id = ? AND state = 'FAILED'", job));
            assertThat(Sql.text(cluster.db(), "SELECT error_message FROM fanout_task WHERE job_id = ? AND state = 'FAILED'", job))
                    .contains("max.request.size");
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND attempt > 0", job), "not retried: it would fail again");
        }
    }

    private static JobEvent runAlone(String name, Processor processor) throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of(name, processor));
            UUID job = cluster.client().submit(JobRequests.builder(name).build());
            return cluster.client().await(job, Duration.ofMinutes(1));
        }
    }
}
