package io.fanout.bench;

import io.fanout.bench.peers.PeerBenchmark;
import io.fanout.bench.peers.PeerResult;
import java.io.PrintStream;
import java.util.List;

/**
 * The same no-op workload through db-scheduler, JobRunr and Fanout, one after the other on the
 * same PostgreSQL, each checked for exactly-once execution, then a table of the rates with
 * Fanout's ratio to each.
 */
public final class PeerComparison {

    private static final int PEER_THREADS = 16;

    private final Benchmark fanout;
    private final int tasks;

    public PeerComparison(Benchmark fanout, int tasks) {
        this.fanout = fanout;
        this.tasks = tasks;
    }

    public void run(PrintStream out, BenchSite site) throws Exception {
        List<PeerResult> peers = new PeerBenchmark(site.serverUrl(), site.user(), site.password(), tasks, PEER_THREADS).run(out);
        double rate = fanout.throughputOnly(out, site);
        out.println();
        out.printf("%-24s %14s %16s%n", "scheduler", "tasks/s", "Fanout is");
        for (PeerResult p : peers) {
            out.printf("%-24s %,14.0f %15.1fx%n", p.name(), p.tasksPerSecond(), rate / p.tasksPerSecond());
        }
        out.printf("%-24s %,14.0f %16s%n", "Fanout", rate, "");
    }
}
