package io.fanout.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Splits single-task jobs' time into stages: from the times the client saw (submit, outcome) and
 * the timestamps the coordinator stored. Client and database share this machine's clock.
 */
final class LatencyBreakdown {

    /** One job as the client saw it: when it began to submit and when the outcome reached it (epoch ms), and the whole wait. */
    record Seen(UUID jobId, long submittedAtMillis, long outcomeAtMillis, long nanos) {
    }

    private static final String QUERY = """
            SELECT j.job_id, extract(epoch FROM j.created_at) * 1000, extract(epoch FROM t.received_at) * 1000, extract(epoch FROM t.started_at) * 1000,
                   extract(epoch FROM t.finished_at) * 1000, extract(epoch FROM j.finished_at) * 1000
            FROM fanout_job j JOIN fanout_task t ON t.job_id = j.job_id AND t.task_id = j.job_id
            WHERE j.job_id = ANY (?)
            """;

    private LatencyBreakdown() {
    }

    static void print(String jdbcUrl, String user, String password, List<Seen> jobs, PrintStream out) throws SQLException {
        Map<UUID, Seen> byId = new HashMap<>();
        jobs.forEach(s -> byId.put(s.jobId(), s));
        int n = jobs.size();
        double[][] stages = new double[6][n];
        int found = 0;
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); PreparedStatement ps = c.prepareStatement(QUERY)) {
            ps.setArray(1, c.createArrayOf("uuid", byId.keySet().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Seen s = byId.get(rs.getObject(1, UUID.class));
                    double stored = rs.getDouble(2);
                    double received = rs.getDouble(3);
                    double started = rs.getDouble(4);
                    double finished = rs.getDouble(5);
                    double outcome = rs.getDouble(6);
                    stages[0][found] = stored - s.submittedAtMillis();
                    stages[1][found] = received - stored;
                    stages[2][found] = started - received;
                    stages[3][found] = finished - started;
                    stages[4][found] = outcome - finished;
                    stages[5][found] = s.outcomeAtMillis() - outcome;
                    found++;
                }
            }
        }
        // a task that found a slot at once is received when it starts: its wait for a slot is 0
        String[] names = {"submit -> job stored (client, Kafka, intake)", "job stored -> task received by an executor", "received -> running (slot wait)",
                "running -> finished (the no-op itself)", "finished -> job outcome stored", "outcome stored -> client has it"};
        for (int i = 0; i < names.length; i++) {
            out.printf("    %-46s %6.1f ms%n", names[i], median(Arrays.copyOf(stages[i], found)));
        }
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(values);
        return values[values.length / 2];
    }
}
