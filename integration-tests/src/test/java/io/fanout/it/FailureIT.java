package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.Processor;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
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

    @Test
    void aThrowingProcessorFailsTheJobWithItsException() throws Exception {
        JobEvent outcome = runAlone("throws", ctx -> {
            throw new IllegalStateException("disk full on " + ctx.executorId());
        });
        assertEquals(JobEvent.Type.FAILED, outcome.type());
        assertEquals(1, outcome.tasks().failed());
        assertThat(outcome.error()).contains("java.lang.IllegalStateException: disk full on");
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

    private static JobEvent runAlone(String name, Processor processor) throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of(name, processor));
            UUID job = cluster.client().submit(JobRequests.builder(name).build());
            return cluster.client().await(job, Duration.ofMinutes(1));
        }
    }
}
