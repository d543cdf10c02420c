package io.fanout.cli;

import io.fanout.coordinator.store.JobStatus;
import io.fanout.coordinator.store.JobStatusReader;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true, description = "Shows a job's state, task counts by state, and result or error.")
final class StatusCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions db;

    @Parameters(index = "0", description = "The job id.")
    UUID jobId;

    @Override
    public Integer call() throws Exception {
        Optional<JobStatus> status = JobStatusReader.read(db.jdbcUrl, db.user, db.password(), jobId);
        if (status.isEmpty()) {
            System.err.println("no job " + jobId);
            return 4;
        }
        System.out.print(status.get().render());
        return 0;
    }
}
