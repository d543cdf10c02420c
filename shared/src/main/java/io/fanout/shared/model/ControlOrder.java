package io.fanout.shared.model;

import java.util.UUID;

/**
 * An order every executor reads from the control topic (JSON).
 *
 * @param type {@code cancel}: stop the job's running tasks and start none of its others
 */
public record ControlOrder(String type, UUID jobId, String time) {

    public static final String CANCEL = "cancel";
}
