package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.client.WorkflowBackfill;
import io.fanout.coordinator.schedule.Schedule;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.WorkflowRunRequest;
import io.fanout.shared.workflow.Workflows;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Workflows on a cron schedule, and backfills of a date range. */
class WorkflowScheduleIT {

    private static final String BAD_DAY = "2026-11-03";

    private static WorkflowDefinition daily(String name) {
        return Workflows.define(name)
                .node("load", JobRequests.builder("day").params(Map.of("date", "${params.date}")).build())
                .node("report", JobRequests.builder("day").params(Map.of("date", "${nodes.load.result}")).build(), "load")
                .build();
    }

    private static void store(FanoutCluster cluster, WorkflowDefinition def) throws Exception {
        try (Connection c = cluster.db().getConnection()) {
            new io.fanout.coordinator.workflow.WorkflowVersions().define(c, def);
        }
    }

    @Test
    void aBackfillOfSevenDatesRunsAtMostTwoAtOnceAndAFailedDateDoesNotStopTheRest() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("day", ctx -> {
                calls.incrementAndGet();
                String date = ctx.params(JsonNode.class).get("date").asText();
                if (date.equals(BAD_DAY)) {
                    throw new NonRetryableException("no data for " + date);
                }
                Thread.sleep(200); // long enough for runs to overlap if more than two were let go at once
                return date;
            }), b -> b.concurrency(8));
            WorkflowDefinition def = daily("daily-" + UUID.randomUUID());
            store(cluster, def);
            WorkflowBackfill backfill = new WorkflowBackfill(cluster.client(), def.name(), "date", Json.mapper().createObjectNode());
            List<WorkflowBackfill.DateRun> runs = backfill.run(LocalDate.parse("2026-11-01"), LocalDate.parse("2026-11-07"), 2, Duration.ofMinutes(2), r -> { });

            assertEquals(7, runs.size());
            assertEquals(List.of(true, true, false, true, true, true, true), runs.stream().map(WorkflowBackfill.DateRun::succeeded).toList());
            assertTrue(runs.get(2).outcome().error().contains("no data for " + BAD_DAY), runs.get(2).outcome().error());
            assertEquals(7, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_workflow_run WHERE client_key LIKE ?", "backfill:" + def.name() + ":%"));
            assertTrue(maxConcurrentRuns(cluster) <= 2, "never more than two runs at once, saw " + maxConcurrentRuns(cluster));
            assertEquals(13, calls.get(), "six dates of two nodes, and the bad date's first node");

            // The same backfill again: every date answers with its outcome, none runs again.
            List<WorkflowBackfill.DateRun> again = backfill.run(LocalDate.parse("2026-11-01"), LocalDate.parse("2026-11-07"), 2, Duration.ofMinutes(1), r -> { });
            assertEquals(runs.stream().map(WorkflowBackfill.DateRun::succeeded).toList(), again.stream().map(WorkflowBackfill.DateRun::succeeded).toList());
            assertEquals(13, calls.get());
            assertEquals(7, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_workflow_run"));
        }
    }

    @Test
    void aScheduledWorkflowRunsOncePerDueTimeAndIsToldWhenItWasDue() throws Exception {
        OffsetClock clock = new OffsetClock();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.clock(clock))) {
            cluster.startExecutor(Map.of("day", ctx -> ctx.params(JsonNode.class).get("date").asText()));
            WorkflowDefinition def = daily("scheduled-" + UUID.randomUUID());
            store(cluster, def);
            Schedule hourly = cluster.coordinator().schedules().put("wf-hourly", "0 * * * *", "UTC",
                    "{\"workflow\": \"" + def.name() + "\", \"params\": {\"date\": \"every day\"}}", "forbid");
            Instant due = hourly.nextFireAt();
            clock.advance(Duration.between(clock.instant(), due).plusSeconds(1));

            UUID run = WorkflowRunRequest.runIdForKey(hourly.runKey(due));
            await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCEEDED".equals(Sql.text(cluster.db(),
                    "SELECT state FROM fanout_workflow_run WHERE run_id = ?", run)));
            JsonNode params = Json.readTree(Sql.text(cluster.db(), "SELECT params FROM fanout_workflow_run WHERE run_id = ?", run));
            assertEquals(due.toString(), params.get("scheduledAt").asText());
            assertEquals("every day", params.get("date").asText());
            assertEquals(run.toString(), Sql.text(cluster.db(), "SELECT last_job_id::text FROM fanout_schedule WHERE name = 'wf-hourly'"));
        }
    }

    /** The most runs that were going at one time, from their stored start and end times. */
    private static long maxConcurrentRuns(FanoutCluster cluster) {
        return Sql.count(cluster.db(), """
                SELECT max(c) FROM (SELECT (SELECT count(*) FROM fanout_workflow_run o
                                           WHERE o.created_at <= r.created_at AND o.finished_at > r.created_at) AS c
                                    FROM fanout_workflow_run r) x""");
    }
}
