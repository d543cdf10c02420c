package io.fanout.it;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;

/** The share group of a test cluster's executors. */
final class ShareGroups {

    private ShareGroups() {
    }

    /** Sets how long a member holds a record it was given (the acquisition lock) before the broker gives it to another. */
    static void lockFor(FanoutCluster cluster, Duration lock) throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, cluster.executorGroup() + ".share"),
                    List.of(new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", Long.toString(lock.toMillis())), AlterConfigOp.OpType.SET))))
                    .all().get();
        }
    }
}
