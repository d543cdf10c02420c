package io.fanout.coordinator.intake;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.coordinator.alert.WebhookAllowList;
import io.fanout.coordinator.workflow.WorkflowRuns;
import io.fanout.shared.command.Command;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.workflow.InvalidWorkflowException;
import io.fanout.shared.workflow.WorkflowRunRequest;
import java.io.IOException;
import io.fanout.shared.Limits;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Turns a record of the jobs topic into an accepted job request, a workflow run request, a command, or a rejection with its reason. */
public final class JobIntake {

    private final Set<String> knownProcessors;
    private final Set<String> pools;
    private final WebhookAllowList webhooks;

    /**
     * @param knownProcessors processors that exist; empty means any well-formed name is accepted
     * @param pools the executor pools that exist
     * @param webhooks where a job's own alert webhooks may point (the coordinator POSTs to them)
     */
    public JobIntake(Set<String> knownProcessors, Set<String> pools, WebhookAllowList webhooks) {
        this.knownProcessors = Set.copyOf(knownProcessors);
        this.pools = Set.copyOf(pools);
        this.webhooks = webhooks;
    }

    /** Where jobs' and workflow nodes' own webhooks may point. */
    public WebhookAllowList webhooks() {
        return webhooks;
    }

    public sealed interface Decision permits Accepted, Rejected, RunRequested, CommandReceived {
    }

    /** A request to run a workflow. */
    public record RunRequested(WorkflowRuns.Requested request) implements Decision {
    }

    /** An operator's command for a job or a workflow run, carried out by its owner. */
    public record CommandReceived(Command command) implements Decision {
    }

    public record Accepted(JobRequest request, int partition) implements Decision {
    }

    /** @param jobId the job the request named, when it could be read that far */
    public record Rejected(UUID jobId, String source, String reason, String request) implements Decision {
    }

    public Decision decide(ConsumerRecord<byte[], byte[]> record) {
        String source = record.topic() + "-" + record.partition() + "@" + record.offset();
        JsonNode root = tree(record.value());
        if (Command.isCommand(root)) {
            try {
                return new CommandReceived(Command.parse(root));
            } catch (Command.InvalidCommandException e) {
                return new Rejected(Command.claimedTarget(root), source, "invalid command: " + e.getMessage(), text(record.value()));
            }
        }
        if (WorkflowRunRequest.isRunRequest(root)) {
            try {
                WorkflowRunRequest run = WorkflowRunRequest.parse(root);
                return new RunRequested(new WorkflowRuns.Requested(run, record.partition(), source, text(record.value())));
            } catch (InvalidWorkflowException e) {
                return new Rejected(claimedRunId(root), source, "invalid workflow run request: " + e.getMessage(), text(record.value()));
            }
        }
        JobRequest request;
        try {
            request = JobRequests.parse(record.value());
        } catch (InvalidJobRequestException e) {
            return new Rejected(null, source, e.getMessage(), text(record.value()));
        }
        String reason = reasonAgainst(request.processor(), request.pool());
        if (reason == null) {
            reason = webhooks.reasonAgainst(request.alertWebhooks());
        }
        if (reason != null) {
            return new Rejected(request.id(), source, reason, text(record.value()));
        }
        return new Accepted(request, record.partition());
    }

    /** Why a job of this processor and pool cannot run here, or null if it can. */
    public String reasonAgainst(String processor, String pool) {
        if (!knownProcessors.isEmpty() && !knownProcessors.contains(processor)) {
            return "unknown processor '" + processor + "' (known: " + String.join(", ", knownProcessors.stream().sorted().toList()) + ")";
        }
        if (!pools.contains(pool)) {
            return "unknown pool '" + pool + "' (known: " + String.join(", ", pools.stream().sorted().toList()) + ")";
        }
        return null;
    }

    private static JsonNode tree(byte[] value) {
        try {
            return value == null ? null : Json.readTree(value);
        } catch (IOException e) {
            return null; // the job request parser says why
        }
    }

    /** The run id an invalid run request names, so that its rejection reaches whoever waits for it; null if it names none. */
    private static UUID claimedRunId(JsonNode root) {
        try {
            return root.hasNonNull("id") ? UUID.fromString(root.get("id").asText())
                    : root.hasNonNull("key") ? WorkflowRunRequest.runIdForKey(root.get("key").asText()) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String text(byte[] value) {
        if (value == null) {
            return null;
        }
        String s = new String(value, StandardCharsets.UTF_8);
        return Limits.truncate(s, Limits.MAX_STORED_REQUEST_CHARS);
    }
}
