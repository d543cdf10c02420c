package io.fanout.cli;

import io.fanout.console.ApiTokens;
import io.fanout.console.AuditLog;
import io.fanout.console.Scope;
import io.fanout.coordinator.store.Database;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fanout token}: the API's tokens. Exit codes: 0 done, 2 bad settings, 4 no such token. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Creates, lists and revokes API tokens (scopes read, operate, admin).",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand {

    interface Action<T> {
        T run(ApiTokens tokens) throws Exception;
    }

    static <T> T with(DatabaseOptions db, Action<T> action) throws Exception {
        try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1)) {
            return action.run(new ApiTokens(database.dataSource()));
        }
    }

    /** Writes a token change to the audit log, as the API and console write theirs (from here: the command line). */
    static void audit(DatabaseOptions db, String actor, String action, String target, String detail) throws Exception {
        try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1)) {
            new AuditLog(database.dataSource()).record(actor, action, target, "done", "command line", detail);
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a token and shows it, this once (only its hash is kept).")
    static final class Create implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Option(names = "--name", required = true, description = "Who or what uses it (shown in the audit log).")
        String name;

        @Option(names = "--scope", required = true, description = "read (see), operate (also submit, cancel, retry...) or admin (also tokens, audit).")
        String scope;

        @Option(names = "--expires", description = "How long it is valid (ISO-8601, e.g. P90D); default: until revoked.")
        Duration expires;

        @Option(names = "--as", defaultValue = "${env:USER:-operator}", description = "Who creates it (default ${DEFAULT-VALUE}).")
        String actor;

        @Override
        public Integer call() throws Exception {
            Scope s;
            try {
                s = Scope.of(scope);
            } catch (IllegalArgumentException e) {
                System.err.println(e.getMessage());
                return ExitCodes.USAGE;
            }
            ApiTokens.Created t = with(db, tokens -> tokens.create(name, s, expires, actor));
            audit(db, actor, "token.create", t.id().toString(), name + ", scope " + s.label());
            System.out.println(t.secret());
            System.err.printf("token %s (%s, scope %s) created%s; it is shown only now%n", t.id(), name, s.label(),
                    t.expiresAt() == null ? "" : ", valid until " + t.expiresAt());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the tokens (never the tokens themselves).")
    static final class ListTokens implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Mixin
        OutputOptions output;

        @Override
        public Integer call() throws Exception {
            if (output.json()) {
                output.print(with(db, ApiTokens::list)); // as GET /api/v1/tokens
                return 0;
            }
            System.out.printf("%-36s %-20s %-8s %-28s %-28s %s%n", "ID", "NAME", "SCOPE", "EXPIRES", "REVOKED", "LAST USED");
            for (ApiTokens.Listed t : with(db, ApiTokens::list)) {
                System.out.printf("%-36s %-20s %-8s %-28s %-28s %s%n", t.id(), t.name(), t.scope().label(), t.expiresAt() == null ? "-" : t.expiresAt(),
                        t.revokedAt() == null ? "-" : t.revokedAt(), t.lastUsedAt() == null ? "-" : t.lastUsedAt());
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes a token at once.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(index = "0", description = "The token's id (fanout token list).")
        UUID id;

        @Option(names = "--as", defaultValue = "${env:USER:-operator}", description = "Who revokes it (default ${DEFAULT-VALUE}).")
        String actor;

        @Override
        public Integer call() throws Exception {
            boolean revoked = with(db, tokens -> tokens.revoke(id));
            if (revoked) {
                audit(db, actor, "token.revoke", id.toString(), null);
            }
            (revoked ? System.out : System.err).println(revoked ? "token " + id + " revoked" : "no token " + id + " to revoke");
            return revoked ? 0 : ExitCodes.NOT_FOUND;
        }
    }
}
