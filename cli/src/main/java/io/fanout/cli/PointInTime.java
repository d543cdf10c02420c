package io.fanout.cli;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A {@code --since} value: a time (2026-12-01T10:00:00Z), a day (2026-12-01, from midnight UTC), or
 * how long ago (PT2H, or 90s, 30m, 2h, 7d).
 */
final class PointInTime implements ITypeConverter<Instant> {

    private static final Pattern AGO = Pattern.compile("(\\d+)([smhd])");

    private final Clock clock;

    PointInTime() {
        this(Clock.systemUTC());
    }

    PointInTime(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Instant convert(String value) {
        String v = value.strip();
        Matcher ago = AGO.matcher(v);
        try {
            if (ago.matches()) {
                long n = Long.parseLong(ago.group(1));
                Duration d = switch (ago.group(2)) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
                return clock.instant().minus(d);
            }
            if (v.startsWith("P") || v.startsWith("p")) {
                return clock.instant().minus(Duration.parse(v));
            }
            if (v.length() == 10) {
                return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return Instant.parse(v);
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a time (2026-12-01T10:00:00Z), a day (2026-12-01) or how long ago (PT2H, 30m, 2h, 7d)");
        }
    }
}
