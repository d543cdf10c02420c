package io.fanout.coordinator.intake;

import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Turns a record of the jobs topic into an accepted request or a rejection with its reason. */
public final class JobIntake {

    private static final int MAX_RECORDED_REQUEST_CHARS = 10_000;

    private final Set<String> knownProcessors;
    private final Set<String> pools;

    /**
     * @param knownProcessors processors that exist; empty means any well-formed name is accepted
     * @param pools the executor pools that exist
     */
    public JobIntake(Set<String> knownProcessors, Set<String> pools) {
        this.knownProcessors = Set.copyOf(knownProcessors);
        this.pools = Set.copyOf(pools);
    }

    public sealed interface Decision permits Accepted, Rejected {
    }

    public record Accepted(JobRequest request, int partition) implements Decision {
    }

    /** @param jobId the job the request named, when it could be read that far */
    public record Rejected(java.util.UUID jobId, String source, String reason, String request) implements Decision {
    }

    public Decision decide(ConsumerRecord<byte[], byte[]> record) {
        String source = record.topic() + "-" + record.partition() + "@" + record.offset();
        JobRequest request;
        try {
            request = JobRequests.parse(record.value());
        } catch (InvalidJobRequestException e) {
            return new Rejected(null, source, e.getMessage(), text(record.value()));
        }
        if (!knownProcessors.isEmpty() && !knownProcessors.contains(request.processor())) {
            return new Rejected(request.id(), source, "unknown processor '" + request.processor() + "' (known: "
                    + String.join(", ", knownProcessors.stream().sorted().toList()) + ")", text(record.value()));
        }
        if (!pools.contains(request.pool())) {
            return new Rejected(request.id(), source, "unknown pool '" + request.pool() + "' (known: "
                    + String.join(", ", pools.stream().sorted().toList()) + ")", text(record.value()));
        }
        return new Accepted(request, record.partition());
    }

    private static String text(byte[] value) {
        if (value == null) {
            return null;
        }
        String s = new String(value, StandardCharsets.UTF_8);
        return s.length() <= MAX_RECORDED_REQUEST_CHARS ? s : s.substring(0, MAX_RECORDED_REQUEST_CHARS) + "...";
    }
}
