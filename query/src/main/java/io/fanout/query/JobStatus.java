package io.fanout.query;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;

/** A job as {@code fanout status} shows it. */
public record JobStatus(
        UUID jobId,
        String key,
        String processor,
        String state,
        long total,
        long succeeded,
        long failed,
        Map<String, Long> tasksByState,
        String resultJson,
        String error,
        OffsetDateTime createdAt,
        OffsetDateTime finishedAt) {

    public String render() {
        StringBuilder b = new StringBuilder();
        b.append("job        ").append(jobId).append('\n');
        if (key != null) {
            b.append("key        ").append(key).append('\n');
        }
        b.append("processor  ").append(processor).append('\n');
        b.append("state      ").append(state).append('\n');
        b.append(String.format("tasks      %,d total, %,d succeeded, %,d failed%n", total, succeeded, failed));
        tasksByState.forEach((s, n) -> b.append(String.format("  %-11s %,d%n", s, n)));
        b.append("created    ").append(createdAt).append('\n');
        if (finishedAt != null) {
            b.append("finished   ").append(finishedAt).append(" (").append(java.time.Duration.between(createdAt, finishedAt).toMillis()).append(" ms)\n");
        }
        if (resultJson != null) {
            b.append("result     ").append(resultJson).append('\n');
        }
        if (error != null) {
            b.append("error      ").append(error).append('\n');
        }
        return b.toString();
    }
}
