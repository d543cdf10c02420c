package io.fanout.shared.model;

import java.util.UUID;

/**
 * An order every executor reads from the control topic (JSON).
 *
 * @param type {@code cancel}: stop the job's running tasks and start none of its others;
 *     {@code suspend}: start none of the job's tasks, hand them back to the coordinator (running ones finish);
 *     {@code resume}: start the job's tasks again
 */
public record ControlOrder(String type, UUID jobId, String time) {

    public static final String CANCEL = "cancel";
    public static final String SUSPEND = "suspend";
    public static final String RESUME = "resume";
}
