package io.fanout.bench;

import io.fanout.examples.NoOp;
import io.fanout.shared.TopicNames;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Coordinators and executors as separate JVMs, started with {@code fanout coordinator} and
 * {@code fanout executor} as they are deployed; their output goes to files in the temp directory.
 */
final class BenchProcesses implements AutoCloseable {

    private final String bootstrap;
    private final TopicNames topics;
    private final List<Process> processes = new ArrayList<>();
    private int executors;

    BenchProcesses(String bootstrap, TopicNames topics) {
        this.bootstrap = bootstrap;
        this.topics = topics;
    }

    /** A coordinator on this database (the password, if any, goes through the environment as FANOUT_DB_PASSWORD). */
    void startCoordinator(String jdbcUrl, String user, String password, int applyConnections, int sliceSize) throws IOException {
        List<String> command = java("-Xmx1g", "bench-coordinator");
        command.addAll(List.of("io.fanout.cli.FanoutCli", "coordinator", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(),
                "--jdbc-url", jdbcUrl, "--db-user", user, "--coordinator-id", "bench-coordinator",
                "--apply-connections", Integer.toString(applyConnections), "--slice-size", Integer.toString(sliceSize)));
        ProcessBuilder pb = new ProcessBuilder(command);
        if (password != null) {
            pb.environment().put("FANOUT_DB_PASSWORD", password);
        }
        start(pb, "bench-coordinator");
    }

    /** An executor of the no-op processor. */
    void startExecutor(String id, int concurrency) throws IOException {
        List<String> command = java("-Xmx512m", id);
        command.addAll(List.of("io.fanout.cli.FanoutCli", "executor", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(),
                "--executor-id", id, "--concurrency", Integer.toString(concurrency), "--processor", NoOp.NAME + "=" + NoOp.class.getName()));
        start(new ProcessBuilder(command), id);
        executors++;
    }

    /** Waits until every executor started has joined the default pool. */
    void awaitExecutors() throws InterruptedException {
        try {
            PoolMembers.await(bootstrap, topics, executors, this::checkAlive);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + " (logs: " + logDir() + "/fanout-*.log)", e);
        }
    }

    /** Fails if a process has ended (a bad setting, a crash): the benchmark would wait for it in vain. */
    void checkAlive() {
        for (Process p : processes) {
            if (!p.isAlive()) {
                throw new IllegalStateException("a benchmark process exited with " + p.exitValue() + " (logs: " + logDir() + "/fanout-*.log)");
            }
        }
    }

    /** The JVM command of process {@code name}; its GC log (heap before and after each collection) goes next to its log. */
    private static List<String> java(String heap, String name) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), heap,
                "-Xlog:gc:file=" + new File(logDir(), "fanout-" + name + "-gc.log") + ":uptime"));
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow"); // Kafka and Kryo still use sun.misc.Unsafe
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        return command;
    }

    private void start(ProcessBuilder pb, String name) throws IOException {
        processes.add(pb.redirectErrorStream(true).redirectOutput(new File(logDir(), "fanout-" + name + ".log")).start());
    }

    private static String logDir() {
        return System.getProperty("java.io.tmpdir");
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
