package io.fanout.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the {@code fanout} command as real separate JVM processes, and kills whatever is left at the end. */
final class FanoutProcesses implements AutoCloseable {

    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private final java.util.Map<Process, Path> logOf = new java.util.HashMap<>();

    record Result(int exitCode, String out, String err) {
    }

    /** Starts a long-running command (coordinator, executor), its output going to a temporary file. */
    Process start(String... args) throws IOException {
        Path log = Files.createTempFile("fanout-cli-", ".log");
        logs.add(log);
        Process p = command(args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        logOf.put(p, log);
        return p;
    }

    /** What a process {@link #start}ed has written so far. */
    String output(Process p) throws IOException {
        return Files.readString(logOf.get(p));
    }

    /** Runs a command to its end, in a JVM that compiles for a quick start (C1 only), as a short command needs. */
    Result run(String... args) throws IOException, InterruptedException {
        Path err = Files.createTempFile("fanout-cli-", ".err");
        List<String> line = new ArrayList<>(commandLine(args));
        line.add(1, "-XX:TieredStopAtLevel=1");
        Process p = new ProcessBuilder(line).redirectError(err.toFile()).start();
        processes.add(p);
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("fanout " + String.join(" ", args) + " did not finish");
        }
        String errText = Files.readString(err);
        Files.delete(err);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), errText);
    }

    private static ProcessBuilder command(String... args) {
        return new ProcessBuilder(commandLine(args));
    }

    /** The command line that runs {@code fanout ARGS} in a JVM like this one. */
    static List<String> commandLine(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "-Xmx256m", "io.fanout.cli.FanoutCli"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Kills what is left and deletes the processes' logs. */
    @Override
    public void close() {
        processes.forEach(Process::destroyForcibly);
        for (Path log : logs) {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // a log left in the temporary directory harms nothing
            }
        }
    }
}
