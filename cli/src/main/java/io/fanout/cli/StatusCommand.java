package io.fanout.cli;

import io.fanout.query.JobQueries;
import io.fanout.query.JobStatus;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true, description = "Shows a job's state, task counts by state, and result or error. Exits 4 if there is no such job.")
final class StatusCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions db;

    @Mixin
    OutputOptions output;

    @Parameters(index = "0", description = "The job id.")
    UUID jobId;

    @Override
    public Integer call() throws Exception {
        Optional<JobStatus> status = db.job(jobId);
        if (status.isEmpty()) {
            System.err.println("no job " + jobId);
            return ExitCodes.NOT_FOUND;
        }
        if (output.json()) {
            // the API's view of the job (GET /api/v1/jobs/{id}), with the task counts by state
            Optional<JobQueries.JobView> view = new JobQueries(db.reader()).job(jobId);
            output.print(OutputOptions.tree(view.orElseThrow()).set("tasksByState", OutputOptions.tree(status.get().tasksByState())));
        } else {
            System.out.print(status.get().render());
        }
        return ExitCodes.OK;
    }
}
