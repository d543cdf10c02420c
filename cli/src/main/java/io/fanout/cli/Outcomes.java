package io.fanout.cli;

import io.fanout.shared.model.JobEvent;

/** Prints a job's final event, readably or as JSON, and turns it into an exit code. */
final class Outcomes {

    private Outcomes() {
    }

    static int print(JobEvent e, OutputOptions output) {
        if (output != null && output.json()) {
            output.print(e);
            return exitCode(e);
        }
        switch (e.type()) {
            case SUCCEEDED -> {
                System.out.printf("job %s SUCCEEDED: %,d tasks%n", e.jobId(), e.tasks().total());
                System.out.println("result: " + (e.result() == null ? "(none)" : e.result().toString()));
            }
            case FAILED -> {
                System.out.printf("job %s FAILED: %,d of %,d tasks failed%n", e.jobId(), e.tasks().failed(), e.tasks().total());
                System.out.println("error: " + e.error());
            }
            case CANCELLED -> {
                System.out.printf("job %s CANCELLED: %s%n", e.jobId(),
                        e.tasks() == null ? "" : String.format("%,d of %,d tasks done", e.tasks().done(), e.tasks().total()));
                System.out.println("reason: " + (e.error() == null ? "(none given)" : e.error()));
            }
            case REJECTED -> System.out.println("job " + e.jobId() + " REJECTED: " + e.reason());
            default -> System.out.println("job " + e.jobId() + " " + e.type() + (e.state() == null ? "" : " (" + e.state() + ")"));
        }
        return exitCode(e);
    }

    /** 0 for a job that succeeded; 1 for one that failed, was cancelled or rejected (README, "Exit codes"). */
    static int exitCode(JobEvent e) {
        return e.type() == JobEvent.Type.SUCCEEDED ? ExitCodes.OK : ExitCodes.NOT_SUCCESSFUL;
    }
}
