package io.fanout.cli;

import io.fanout.shared.model.JobEvent;

/** Prints a job's final event readably and turns it into an exit code. */
final class Outcomes {

    private Outcomes() {
    }

    static int print(JobEvent e) {
        switch (e.type()) {
            case SUCCEEDED -> {
                System.out.printf("job %s SUCCEEDED: %,d tasks%n", e.jobId(), e.tasks().total());
                System.out.println("result: " + (e.result() == null ? "(none)" : e.result().toString()));
                return 0;
            }
            case FAILED -> {
                System.out.printf("job %s FAILED: %,d of %,d tasks failed%n", e.jobId(), e.tasks().failed(), e.tasks().total());
                System.out.println("error: " + e.error());
                return 1;
            }
            case REJECTED -> {
                System.out.println("job " + e.jobId() + " REJECTED: " + e.reason());
                return 1;
            }
            default -> throw new IllegalArgumentException("not a final event: " + e.type());
        }
    }
}
