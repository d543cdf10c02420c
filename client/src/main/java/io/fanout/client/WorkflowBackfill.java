package io.fanout.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.workflow.WorkflowRunRequest;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Runs a stored workflow once per date of a range, the date passed as a run parameter, with at
 * most {@code parallelism} runs at once (1: one after another, in date order). A date whose run
 * fails does not stop the others. Each date's run has the key {@code backfill:WORKFLOW:DATE}, so
 * running the same backfill again starts no date twice: a date already run answers with its outcome.
 */
public final class WorkflowBackfill {

    /** One date's run and how it ended (null if it did not end within the timeout). */
    public record DateRun(LocalDate date, UUID runId, JobEvent outcome) {
        public boolean succeeded() {
            return outcome != null && outcome.type() == JobEvent.Type.RUN_FINISHED && outcome.state() == io.fanout.shared.model.JobState.SUCCEEDED;
        }
    }

    private final FanoutClient client;
    private final String workflow;
    private final String dateParam;
    private final ObjectNode params;

    /**
     * @param dateParam the run parameter that carries the date (ISO, e.g. 2026-12-01)
     * @param params the other run parameters, the same for every date
     */
    public WorkflowBackfill(FanoutClient client, String workflow, String dateParam, ObjectNode params) {
        this.client = client;
        this.workflow = workflow;
        this.dateParam = dateParam;
        this.params = params;
    }

    /** Runs every date from {@code from} to {@code to} (both included); returns each date's run, in date order. */
    public List<DateRun> run(LocalDate from, LocalDate to, int parallelism, Duration timeout, Consumer<DateRun> onEach) throws InterruptedException {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
        }
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("the range ends (" + to + ") before it starts (" + from + ")");
        }
        Semaphore slots = new Semaphore(parallelism);
        List<Future<DateRun>> runs = new ArrayList<>();
        try (ExecutorService waiters = Executors.newVirtualThreadPerTaskExecutor()) {
            for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
                slots.acquire(); // the next date starts when a run ends
                LocalDate date = d;
                ObjectNode p = params.deepCopy().put(dateParam, date.toString());
                String key = "backfill:" + workflow + ":" + date;
                WorkflowRunRequest request = new WorkflowRunRequest(WorkflowRunRequest.runIdForKey(key), key, workflow, 0, null, p);
                UUID runId;
                try {
                    runId = client.run(request);
                } catch (RuntimeException e) {
                    slots.release();
                    throw e;
                }
                runs.add(waiters.submit(() -> {
                    try {
                        JobEvent outcome;
                        try {
                            outcome = client.await(runId, timeout);
                        } catch (TimeoutException e) {
                            outcome = null;
                        }
                        DateRun r = new DateRun(date, runId, outcome);
                        onEach.accept(r);
                        return r;
                    } finally {
                        slots.release();
                    }
                }));
            }
        }
        List<DateRun> done = new ArrayList<>();
        for (Future<DateRun> f : runs) {
            try {
                done.add(f.get());
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("waiting for a backfill run failed", e.getCause());
            }
        }
        return done;
    }
}
