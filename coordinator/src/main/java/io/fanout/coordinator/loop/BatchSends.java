package io.fanout.coordinator.loop;

import io.fanout.coordinator.dispatch.Effects;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.NewDeadLetter;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.model.JobEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends what a committed batch owes Kafka: task records, dead letters, the executors' orders,
 * forwarded commands, job events, and a PROGRESS event per job at most every progress interval.
 * Returns the sends without waiting; the loop commits the batch's offsets once they are acknowledged.
 */
final class BatchSends {

    private static final Logger log = LoggerFactory.getLogger(BatchSends.class);
    private static final int MAX_TRACKED_PROGRESS = 10_000;

    private final Effects effects;
    private final FanoutMeters meters;
    private final String coordinatorId;
    private final Duration progressInterval;
    private final Clock clock;
    private final Map<UUID, Long> lastProgress = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Long> eldest) {
            return size() > MAX_TRACKED_PROGRESS;
        }
    };

    BatchSends(Effects effects, FanoutMeters meters, String coordinatorId, Duration progressInterval, Clock clock) {
        this.effects = effects;
        this.meters = meters;
        this.coordinatorId = coordinatorId;
        this.progressInterval = progressInterval;
        this.clock = clock;
    }

    List<Future<RecordMetadata>> send(AfterCommit after) {
        List<Future<RecordMetadata>> sends = new ArrayList<>(after.tasks.size() + after.events.size());
        effects.tasks().publish(after.tasks).forEach(s -> sends.add(s.ack()));
        for (NewDeadLetter letter : after.deadLetters) {
            log.warn("job {}: task {} ({}) dead-lettered after {} attempts ({}): {}: {}", letter.job().jobId(), letter.task().taskId(),
                    letter.task().taskName(), letter.attempt() + 1, letter.reason(), letter.failure().errorClass(), letter.failure().message());
            sends.add(effects.deadLetters().publish(letter));
            meters.deadLetters(letter.reason()).increment();
        }
        for (AfterCommit.Unreadable u : after.unreadable) {
            meters.deadLetters("POISON").increment();
            sends.add(effects.deadLetters().publishUnreadable(u.record(), u.why(), coordinatorId));
        }
        after.cancelOrders.forEach(jobId -> sends.add(effects.control().cancel(jobId)));
        after.resumeOrders.forEach(jobId -> sends.add(effects.control().resume(jobId)));
        after.suspendOrders.forEach(jobId -> sends.add(effects.control().suspend(jobId)));
        after.forwards.forEach(f -> sends.add(effects.commands().forward(f.partition(), f.record())));
        after.letterSends.forEach(l -> sends.add(effects.deadLetters().send(l.record())));
        for (JobEvent event : after.events) {
            sends.add(effects.events().publish(event));
            if (event.isFinal()) {
                lastProgress.remove(event.jobId());
            }
        }
        progress(after.progressed, sends);
        return sends;
    }

    private void progress(List<JobRow> progressed, List<Future<RecordMetadata>> sends) {
        long now = clock.millis();
        for (JobRow job : progressed) {
            Long last = lastProgress.get(job.jobId());
            if (last == null || now - last >= progressInterval.toMillis()) {
                lastProgress.put(job.jobId(), now);
                sends.add(effects.events().publish(new JobEvent(JobEvent.Type.PROGRESS, job.jobId(), job.key(), job.processor(), job.state(),
                        job.counts(), null, null, null, null, clock.instant().toString())));
            }
        }
    }
}
