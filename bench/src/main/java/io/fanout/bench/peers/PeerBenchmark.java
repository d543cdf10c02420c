package io.fanout.bench.peers;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Two peer job schedulers on the workload Fanout is measured on, N no-op tasks, on the given
 * PostgreSQL: db-scheduler, then JobRunr, one after the other so that they never compete for the
 * machine, each on a fresh schema and with its high-throughput settings. Rates count from before
 * the first task is enqueued to the last execution, as Fanout's do from submit; every task must
 * have run exactly once.
 */
public final class PeerBenchmark {

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final int tasks;
    private final int threads;

    public PeerBenchmark(String jdbcUrl, String user, String password, int tasks, int threads) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.tasks = tasks;
        this.threads = threads;
    }

    /** Arguments: jdbcUrl user password [tasks]. */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: PeerBenchmark jdbcUrl user password [tasks]");
            System.exit(2);
        }
        int tasks = args.length > 3 ? Integer.parseInt(args[3]) : 100_000;
        new PeerBenchmark(args[0], args[1], args[2], tasks, 16).run(System.out);
    }

    public List<PeerResult> run(PrintStream out) throws Exception {
        for (String logger : List.of("com.github.kagkarlsson", "org.jobrunr", "com.zaxxer.hikari")) {
            ((Logger) LoggerFactory.getLogger(logger)).setLevel(Level.WARN);
        }
        out.println("peer schedulers: tasks/s from before the first enqueue to the last execution (enqueue time included)");
        List<PeerResult> results = new ArrayList<>();
        for (Peer peer : List.of(new DbSchedulerRun(jdbcUrl, user, password, tasks, threads),
                new JobRunrRun(jdbcUrl, user, password, tasks, threads))) {
            ExactlyOnce tally = new ExactlyOnce(tasks);
            Peer.Timing timing = peer.run(tally);
            double rate = tasks / seconds(timing.enqueueNanos() + timing.executeNanos());
            String verdict = tally.verdict();
            out.printf("%s: %,d no-op tasks, %s: %,.0f tasks/s (enqueue %.1f s, execute %.1f s: %,.0f tasks/s), %s%n", peer.name(), tasks,
                    peer.settings(), rate, seconds(timing.enqueueNanos()), seconds(timing.executeNanos()),
                    tasks / seconds(timing.executeNanos()), verdict);
            if (!verdict.equals(ExactlyOnce.EACH_EXACTLY_ONCE)) {
                throw new IllegalStateException(peer.name() + " did not run every task exactly once: " + verdict);
            }
            results.add(new PeerResult(peer.name(), rate));
        }
        return results;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
