package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.schedule.Schedule;
import io.fanout.executor.api.Processor;
import io.fanout.shared.model.TaskIds;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Recurring jobs fire on their cron schedule, once per run, under their concurrency policy, from one coordinator. */
class ScheduleIT {

    private static long fired(FanoutCluster cluster, String name) {
        return Sql.count(cluster.db(), "SELECT fired FROM fanout_schedule WHERE name = ?", name);
    }

    private static long skipped(FanoutCluster cluster, String name) {
        return Sql.count(cluster.db(), "SELECT skipped FROM fanout_schedule WHERE name = ?", name);
    }

    /** Moves the coordinators' clock just past the schedule's next run. */
    private static void skipTo(OffsetClock clock, Schedule s, FanoutCluster cluster) throws Exception {
        Instant next = cluster.coordinator().schedules().list().stream().filter(x -> x.name().equals(s.name())).findFirst().orElseThrow().nextFireAt();
        clock.advance(Duration.between(clock.instant(), next).plusSeconds(1));
    }

    @Test
    void aScheduleFiresItsRunAndAfterDowntimeOnlyOnce() throws Exception {
        OffsetClock clock = new OffsetClock();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.clock(clock))) {
            cluster.startExecutor(Map.of("tick", ctx -> "ran"));
            Schedule hourly = cluster.coordinator().schedules().put("hourly", "0 * * * *", "UTC", "{\"processor\": \"tick\"}", "forbid");
            skipTo(clock, hourly, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "hourly") == 1);
            UUID first = TaskIds.jobIdForKey(hourly.runKey(hourly.nextFireAt()));
            await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCEEDED".equals(Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", first)));

            clock.advance(Duration.ofHours(5)); // five runs missed, as after downtime
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "hourly") == 2);
            Instant next = cluster.coordinator().schedules().list().get(0).nextFireAt();
            assertEquals(true, next.isAfter(clock.instant()), "the next run is after now: no burst of missed runs");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE client_key LIKE 'schedule:hourly:%'") == 2);
        }
    }

    @Test
    void forbidSkipsARunWhileThePreviousGoesOnAndReplaceCancelsIt() throws Exception {
        OffsetClock clock = new OffsetClock();
        CountDownLatch release = new CountDownLatch(1);
        Processor blocks = ctx -> {
            release.await();
            return "done";
        };
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.clock(clock))) {
            cluster.startExecutor(Map.of("blocks", blocks));
            Schedule forbid = cluster.coordinator().schedules().put("forbid", "* * * * *", "UTC", "{\"processor\": \"blocks\"}", "forbid");
            skipTo(clock, forbid, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "forbid") == 1);
            skipTo(clock, forbid, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> skipped(cluster, "forbid") == 1);
            assertEquals(1, fired(cluster, "forbid"));

            cluster.coordinator().schedules().remove("forbid");
            Schedule replace = cluster.coordinator().schedules().put("replace", "* * * * *", "UTC", "{\"processor\": \"blocks\"}", "replace");
            skipTo(clock, replace, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "replace") == 1);
            String firstJob = Sql.text(cluster.db(), "SELECT last_job_id::text FROM fanout_schedule WHERE name = 'replace'");
            skipTo(clock, replace, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "replace") == 2);
            // the scheduler asks the job's owner to cancel it, as any client would: the owner's loop carries it out soon after
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> "CANCELLED".equals(Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?::uuid", firstJob)));
            assertNotEquals(firstJob, Sql.text(cluster.db(), "SELECT last_job_id::text FROM fanout_schedule WHERE name = 'replace'"));
            release.countDown();
        }
    }

    @Test
    void onlyOneOfTwoCoordinatorsFires() throws Exception {
        OffsetClock clock = new OffsetClock();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.clock(clock))) {
            Coordinator other = cluster.startCoordinator(b -> b.clock(clock));
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.coordinator().leadsScheduler() != other.leadsScheduler());
            cluster.startExecutor(Map.of("tick", ctx -> "ran"));
            Schedule s = cluster.coordinator().schedules().put("once", "*/5 * * * *", "UTC", "{\"processor\": \"tick\"}", "allow");
            skipTo(clock, s, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "once") == 1);
            // the run's request is on the jobs topic when the schedule records it fired; the job row follows when a coordinator reads it
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE client_key LIKE 'schedule:once:%'") == 1);
            assertEquals(1, fired(cluster, "once"));
        }
    }

    /** A schedule whose run was rejected (its processor is unknown) is not waiting for that run: FORBID fires the next one. */
    @Test
    void aForbidScheduleWhoseRunWasRejectedFiresItsNextRun() throws Exception {
        OffsetClock clock = new OffsetClock();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.clock(clock).knownProcessors(java.util.Set.of("tick")))) {
            Schedule s = cluster.coordinator().schedules().put("unknown", "0 * * * *", "UTC", "{\"processor\": \"nope\"}", "forbid");
            skipTo(clock, s, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "unknown") == 1);
            UUID first = TaskIds.jobIdForKey(s.runKey(s.nextFireAt()));
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_rejected_request WHERE job_id = ?",
                    first) == 1);
            skipTo(clock, s, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "unknown") == 2);
            assertEquals(0, skipped(cluster, "unknown"));
        }
    }

    /** A schedule that cannot be fired (its stored request is no longer valid) skips its run and holds up no other schedule. */
    @Test
    void aBrokenScheduleSkipsItsRunAndTheOthersFire() throws Exception {
        OffsetClock clock = new OffsetClock();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.clock(clock))) {
            cluster.startExecutor(Map.of("tick", ctx -> "ran"));
            Schedule good = cluster.coordinator().schedules().put("good", "0 * * * *", "UTC", "{\"processor\": \"tick\"}", "allow");
            cluster.coordinator().schedules().put("bad", "0 * * * *", "UTC", "{\"processor\": \"tick\"}", "allow");
            Sql.count(cluster.db(), "WITH u AS (UPDATE fanout_schedule SET request = '{\"processor\": 42}' WHERE name = 'bad' RETURNING 1) "
                    + "SELECT count(*) FROM u");
            skipTo(clock, good, cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> fired(cluster, "good") == 1 && skipped(cluster, "bad") == 1);
            assertEquals(0, fired(cluster, "bad"));
        }
    }
}
