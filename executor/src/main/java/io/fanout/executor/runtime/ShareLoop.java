package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.metrics.FanoutMeters;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The share-group task source (KIP-932): any number of members share every partition of the
 * pool's task topic, and each record is acknowledged on its own. A member ({@link ShareMember})
 * takes no new batch until each record of its last one is decided, so one member alone leaves the
 * slots idle while it waits for its batch's last task and then for its next poll. This executor
 * therefore runs several members on one set of slots: while one waits, the others take work. It
 * starts with two, and adds one (up to {@code min(8, concurrency)}) when every member has held an
 * undecided record for a while and slots are free: tasks longer than that hold their member, not
 * the executor's intake. When a member breaks, the executor stops taking work and hands back what
 * runs, as a broken loop did when it had one consumer. Like the poll loop, it starts no more tasks
 * than its buffer holds: the rest of what its members took (a slice carries many tasks) waits here,
 * unstarted and unreported, its records renewed while they wait.
 */
public final class ShareLoop implements TaskSourceLoop {

    private static final Logger log = LoggerFactory.getLogger(ShareLoop.class);
    private static final int FIRST_MEMBERS = 2;
    private static final int MOST_MEMBERS = 8;
    /** A member that has held an undecided record this long (it takes nothing new meanwhile) is held by a long task. */
    private static final long HELD_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long CHECK_EVERY_MILLIS = 100;
    /** After the grace: a member's last acknowledgements (a 2 s settle, a 10 s commit) and its consumer's close (10 s). */
    private static final long MEMBER_CLOSE_SECONDS = 25;

    private final IntFunction<ShareConsumer<byte[], byte[]>> consumers;
    private final ExecutorConfig config;
    private final PoisonRecords poison;
    private final Attempts attempts;
    private final int mostMembers;
    private final List<ShareMember> members = new CopyOnWriteArrayList<>();
    private final Map<ShareMember.Key, ShareMember.Held> held = new ConcurrentHashMap<>();
    /** Attempts taken and not started: the buffer was full. */
    private final ConcurrentLinkedQueue<Attempt> pending = new ConcurrentLinkedQueue<>();
    /** Attempts started and not yet settled (reported and acknowledged, or handed back): what the buffer holds. */
    private final Set<Attempt> buffered = ConcurrentHashMap.newKeySet();
    private final Object starting = new Object();
    private volatile boolean stopping;
    private final CountDownLatch stopAsked = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** @param consumers makes the share consumer of the member of that index (0, 1, ...) */
    ShareLoop(IntFunction<ShareConsumer<byte[], byte[]>> consumers, ExecutorConfig config, TaskRunner runner, StatusReporter reporter,
              PoisonRecords poison, FanoutMeters meters) {
        meters.inFlight(this::inFlight);
        this.consumers = consumers;
        this.config = config;
        this.poison = poison;
        this.mostMembers = Math.max(FIRST_MEMBERS, Math.min(MOST_MEMBERS, config.concurrency()));
        this.attempts = new Attempts(config, runner, reporter, new RecordSettlement() {
            @Override
            public void reported(Attempt a) {
                decide(a, AcknowledgeType.ACCEPT);
            }

            @Override
            public void handedBack(Attempt a) {
                decide(a, AcknowledgeType.RELEASE);
            }
        }, meters);
    }

    private void decide(Attempt a, AcknowledgeType decision) {
        ShareMember.Key key = ShareMember.Key.of(a);
        ShareMember.Held h = held.get(key);
        if (h != null && h.carries(a)) {
            AcknowledgeType whole = h.settle(a, decision);
            if (whole != null) {
                ShareMember.decide(held, key, h, whole);
            }
        }
        buffered.remove(a);
        startPending(); // room in the buffer
    }

    private final ShareMember.Intake intake = new ShareMember.Intake() {
        @Override
        public void offer(List<Attempt> taken) {
            pending.addAll(taken);
            startPending();
        }

        @Override
        public int waiting() {
            return attempts.waiting() + pending.size();
        }
    };

    /**
     * Starts what waits here while the buffer has room; once stopping, gives it back instead, as what
     * waits for a slot goes back: reported SUSPENDED, unstarted (also what members take during the stop).
     */
    private void startPending() {
        synchronized (starting) {
            while (stopping || buffered.size() < config.maxBuffered()) {
                Attempt a = pending.poll();
                if (a == null) {
                    return;
                }
                if (stopping) {
                    attempts.returnUnstarted(a);
                } else {
                    buffered.add(a);
                    attempts.start(a);
                }
            }
        }
    }

    private void returnPending() {
        stopping = true;
        startPending();
    }

    @Override
    public void run() {
        try {
            for (int i = 0; i < FIRST_MEMBERS; i++) {
                startMember();
            }
            while (!stopAsked.await(CHECK_EVERY_MILLIS, TimeUnit.MILLISECONDS)) {
                if (members.size() < mostMembers && everyMemberHeld()) {
                    startMember();
                    log.info("executor {}: every share member waits on a long task and slots are free; now {} members", config.executorId(),
                            members.size());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("executor {} share loop stopped by an unexpected error; the executor stops", config.executorId(), e);
            config.health().failed("executor share loop", e);
            attempts.stopStarting();
            returnPending();
            attempts.handBackRunning();
        } finally {
            returnPending();
            stopMembers();
            attempts.shutdown();
            stopped.countDown();
        }
    }

    /** The members drain at the same time, within the grace; each then sends its acknowledgements and closes. */
    private void stopMembers() {
        long drainBy = System.nanoTime() + config.shutdownGrace().toNanos();
        members.forEach(m -> m.stop(drainBy));
        long waitUntil = drainBy + TimeUnit.SECONDS.toNanos(MEMBER_CLOSE_SECONDS);
        boolean interrupted = false;
        for (ShareMember m : members) {
            try {
                m.awaitStopped(Math.max(0, TimeUnit.NANOSECONDS.toMillis(waitUntil - System.nanoTime())));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** A member broke: nothing more starts, what runs is handed back, and the loop stops. */
    private void memberBroke() {
        attempts.stopStarting();
        returnPending();
        attempts.handBackRunning();
        stopAsked.countDown();
    }

    private boolean everyMemberHeld() {
        if (attempts.waiting() > 0 || !pending.isEmpty() || attempts.running() >= config.concurrency()) {
            return false;
        }
        for (ShareMember m : members) {
            if (m.undecidedNanos() < HELD_AFTER_NANOS) {
                return false;
            }
        }
        return true;
    }

    private void startMember() {
        int index = members.size();
        ShareMember member = new ShareMember(consumers.apply(index), "share member " + index, held, this::memberBroke, config, attempts, intake, poison);
        members.add(member);
        Thread.ofPlatform().name("fanout-executor-share-" + index).start(member);
    }

    @Override
    public void stop() throws InterruptedException {
        attempts.stopStarting();
        returnPending();
        stopAsked.countDown();
        stopped.await(config.shutdownGrace().toMillis() + TimeUnit.SECONDS.toMillis(MEMBER_CLOSE_SECONDS + 10), TimeUnit.MILLISECONDS);
    }

    @Override
    public Attempts attempts() {
        return attempts;
    }

    @Override
    public int inFlight() {
        return held.size();
    }
}
