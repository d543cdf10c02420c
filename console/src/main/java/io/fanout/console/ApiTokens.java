package io.fanout.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * API tokens: 256 random bits each, shown once when created; PostgreSQL keeps only their SHA-256
 * (a token is not a password: its entropy makes a slow hash pointless), with scope, expiry and
 * revocation.
 */
public final class ApiTokens {

    private static final String PREFIX = "fo_";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Who a token says the caller is. */
    public record Principal(UUID tokenId, String name, Scope scope) {
    }

    /** A token as listed (never the token itself). */
    public record Listed(UUID id, String name, Scope scope, String createdBy, Instant createdAt, Instant expiresAt, Instant revokedAt,
                         Instant lastUsedAt) {
    }

    /** A token just created: {@code secret} is shown this once. */
    public record Created(UUID id, String secret, Instant expiresAt) {
    }

    private final DataSource db;

    public ApiTokens(DataSource db) {
        this.db = db;
    }

    /** @param expiresIn null for a token that does not expire */
    public Created create(String name, Scope scope, Duration expiresIn, String createdBy) throws SQLException {
        if (name == null || name.isBlank() || name.length() > 100) {
            throw new IllegalArgumentException("a token's name is 1-100 characters");
        }
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String secret = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        UUID id = UUID.randomUUID();
        Instant expires = expiresIn == null ? null : Instant.now().plus(expiresIn);
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO fanout_api_token (id, name, scope, token_hash, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setObject(1, id);
            ps.setString(2, name);
            ps.setString(3, scope.label());
            ps.setString(4, hash(secret));
            ps.setString(5, createdBy);
            ps.setTimestamp(6, expires == null ? null : Timestamp.from(expires));
            ps.executeUpdate();
        }
        return new Created(id, secret, expires);
    }

    /**
     * Makes sure a token an operator chose (from the environment, for the first admin) exists,
     * under this name and scope; false if it existed already. It must look like a token this class
     * makes: {@code fo_} and at least 32 more characters.
     */
    public boolean ensure(String secret, String name, Scope scope, String createdBy) throws SQLException {
        if (secret == null || !secret.startsWith(PREFIX) || secret.length() < PREFIX.length() + 32 || secret.length() > 100) {
            throw new IllegalArgumentException("a token is fo_ and 32 to 97 more characters (make one: fanout token create)");
        }
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO fanout_api_token (id, name, scope, token_hash, created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING")) {
            ps.setObject(1, UUID.randomUUID());
            ps.setString(2, name);
            ps.setString(3, scope.label());
            ps.setString(4, hash(secret));
            ps.setString(5, createdBy);
            return ps.executeUpdate() == 1;
        }
    }

    /** The principal of a token that exists, is not revoked and has not expired. */
    public Optional<Principal> authenticate(String secret) throws SQLException {
        if (secret == null || !secret.startsWith(PREFIX) || secret.length() > 100) {
            return Optional.empty();
        }
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE fanout_api_token SET last_used_at = now() WHERE token_hash = ? AND revoked_at IS NULL "
                        + "AND (expires_at IS NULL OR expires_at > now()) RETURNING id, name, scope")) {
            ps.setString(1, hash(secret));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Principal(rs.getObject(1, UUID.class), rs.getString(2), Scope.of(rs.getString(3)))) : Optional.empty();
            }
        }
    }

    /** The principal of a token by its id, if it is still valid (a session checks its token on every request). */
    public Optional<Principal> stillValid(UUID id) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT id, name, scope FROM fanout_api_token WHERE id = ? "
                + "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Principal(rs.getObject(1, UUID.class), rs.getString(2), Scope.of(rs.getString(3)))) : Optional.empty();
            }
        }
    }

    public List<Listed> list() throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT id, name, scope, created_by, created_at, expires_at, revoked_at, last_used_at FROM fanout_api_token ORDER BY created_at");
             ResultSet rs = ps.executeQuery()) {
            List<Listed> all = new ArrayList<>();
            while (rs.next()) {
                all.add(new Listed(rs.getObject(1, UUID.class), rs.getString(2), Scope.of(rs.getString(3)), rs.getString(4), instant(rs, 5),
                        instant(rs, 6), instant(rs, 7), instant(rs, 8)));
            }
            return all;
        }
    }

    /** Revokes a token at once; false if there is no such token, or it was revoked before. */
    public boolean revoke(UUID id) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE fanout_api_token SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL")) {
            ps.setObject(1, id);
            return ps.executeUpdate() == 1;
        }
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
