package io.fanout.coordinator.deadletter;

import io.fanout.shared.TopicNames;

/**
 * The topics an unreadable record's letter may be sent back to: the task topics and the status
 * topic, nothing else. Its original topic comes from a header anyone who may write the
 * dead-letter topic (every executor) writes, so it is checked where the letter is indexed and
 * again where it is replayed: a letter naming the jobs, job-events or control topic would
 * otherwise let an executor write there as the coordinator.
 */
public final class ReplayTargets {

    private final TopicNames topics;

    public ReplayTargets(TopicNames topics) {
        this.topics = topics;
    }

    public boolean allows(String topic) {
        return topic != null && (topic.equals(topics.status()) || topics.poolOfTaskTopic(topic) != null);
    }

    /** Why a letter naming this topic is not sent back, for logs and replay outcomes. */
    public String refusal(String topic) {
        return "the letter names " + topic + " as its original topic; only task topics and " + topics.status() + " are replayed";
    }
}
