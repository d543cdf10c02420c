package io.fanout.console;

import io.javalin.security.RouteRole;
import java.util.Locale;

/** What a token may do; each scope includes the ones below it. Every route names the scope it needs. */
public enum Scope implements RouteRole {
    /** See jobs, tasks, runs and everything else. */
    READ,
    /** Also submit, cancel, suspend, resume and retry. */
    OPERATE,
    /** Also tokens and the audit log. */
    ADMIN;

    public boolean includes(Scope needed) {
        return ordinal() >= needed.ordinal();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scope of(String label) {
        for (Scope s : values()) {
            if (s.label().equals(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("scope must be read, operate or admin, got '" + label + "'");
    }
}
