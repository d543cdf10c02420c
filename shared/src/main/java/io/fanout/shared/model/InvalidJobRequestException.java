package io.fanout.shared.model;

/** A job request that cannot be accepted; the message is the reason given back to the submitter. */
public class InvalidJobRequestException extends Exception {

    public InvalidJobRequestException(String reason) {
        super(reason);
    }
}
