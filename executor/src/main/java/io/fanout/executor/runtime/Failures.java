package io.fanout.executor.runtime;

import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.RetryLaterException;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.TaskRecord;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Turns what a processor threw into a {@link Failure}: message and stack trimmed, retryability decided. */
final class Failures {

    static final int MAX_MESSAGE_CHARS = 4000;
    static final int MAX_STACK_CHARS = 16_000;

    private Failures() {
    }

    static Failure of(Throwable t, TaskRecord task, int partition, long offset) {
        long retryAfter = t instanceof RetryLaterException later ? later.delay().toMillis() : -1;
        return new Failure(t.getClass().getName(), trim(String.valueOf(t.getMessage()), MAX_MESSAGE_CHARS), trim(stackTrace(t), MAX_STACK_CHARS),
                !nonRetryable(t, task.nonRetryable()), retryAfter, partition, offset);
    }

    /**
     * A failure is not retried when the exception or any of its causes is a
     * {@link NonRetryableException}, or is (a subclass of) a class the job lists.
     */
    static boolean nonRetryable(Throwable t, List<String> listed) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof NonRetryableException) {
                return true;
            }
            for (Class<?> k = c.getClass(); k != null; k = k.getSuperclass()) {
                if (listed.contains(k.getName())) {
                    return true;
                }
            }
        }
        return false;
    }

    static String trim(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "...";
    }

    static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
