package io.fanout.cli;

import io.fanout.console.AuditLog;
import io.fanout.coordinator.store.Database;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fanout audit}: the latest state-changing actions taken through the API and the console. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Shows the audit log, newest first: who did what, on what, from where, and how it ended.")
final class AuditCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions db;

    @Mixin
    OutputOptions output;

    @Option(names = "--limit", defaultValue = "50", description = "How many entries (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--before", paramLabel = "ID", description = "Only entries older than this one: the next page after an entry's id (-o json shows ids).")
    Long before;

    @Option(names = "--action", description = "Only this action, e.g. job.cancel (refused sign-ins are console.sign-in).")
    String action;

    @Override
    public Integer call() throws Exception {
        if (limit < 1 || before != null && before < 1) {
            System.err.println("--limit and --before must be at least 1");
            return ExitCodes.USAGE;
        }
        try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1)) {
            if (output.json()) {
                output.print(new AuditLog(database.dataSource()).page(before, action, limit)); // as GET /api/v1/audit
                return ExitCodes.OK;
            }
            System.out.printf("%-27s %-16s %-16s %-38s %-8s %-15s %s%n", "AT", "WHO", "ACTION", "TARGET", "OUTCOME", "FROM", "DETAIL");
            for (AuditLog.Entry e : new AuditLog(database.dataSource()).page(before, action, limit)) {
                System.out.printf("%-27s %-16s %-16s %-38s %-8s %-15s %s%n", e.at(), e.actor(), e.action(), e.target() == null ? "-" : e.target(),
                        e.outcome(), e.remote() == null ? "-" : e.remote(), e.detail() == null ? "" : e.detail());
            }
        }
        return 0;
    }
}
