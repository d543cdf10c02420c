package io.fanout.shared.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A request to run a job, as it travels on the jobs topic (JSON). Parse untrusted bytes with
 * {@link JobRequests#parse}; build one in Java with {@link JobRequests#builder}.
 *
 * @param id the job id; derived from {@code key} when a key is given, else random
 * @param key optional client key: submitting the same key twice creates one job
 * @param params JSON handed to the root task (may be null)
 * @param items static fan-out: when non-null there is no root task, each item is a subtask
 * @param taskName the task name of static items
 * @param pool the executor pool that runs the job's tasks
 * @param retry how failed tasks are retried
 * @param taskTimeout how long one attempt of a task may run (null: no limit)
 * @param deadline how long the whole job may take from its acceptance (null: no limit)
 * @param maxFailedTasks how many tasks may fail for good while the job still succeeds
 * @param parallelism at most this many of the job's tasks in flight at once (0: no limit)
 * @param priority with a dispatch window, the tasks of higher-priority jobs are dispatched first
 * @param ttlAfterFinished how long the job's rows are kept once it has finished (null: the
 *     installation's default; zero: deleted at the next retention round)
 * @param alertWebhooks where the job's alerts go instead of the installation's webhooks (null: the
 *     installation's; empty: no alerts for this job)
 */
public record JobRequest(UUID id, String key, String processor, JsonNode params, List<JsonNode> items, String taskName, String pool,
                         RetryPolicy retry, Duration taskTimeout, Duration deadline, long maxFailedTasks, int parallelism,
                         int priority, Duration ttlAfterFinished, List<URI> alertWebhooks) {

    public JobRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(processor, "processor");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(retry, "retry");
        items = items == null ? null : List.copyOf(items);
        alertWebhooks = alertWebhooks == null ? null : List.copyOf(alertWebhooks);
    }

    public boolean isStaticFanOut() {
        return items != null;
    }
}
