-- keyfin schema, version 2: login lockout and the audit trail.

-- Consecutive failed logins, and until when the account refuses logins
-- after too many (KEYFIN_LOGIN_ATTEMPTS within reach of every instance).
ALTER TABLE users
    ADD COLUMN failed_logins integer NOT NULL DEFAULT 0,
    ADD COLUMN locked_until  timestamptz;

-- Who did what, when, from where.  Never a whole key or a password: a key
-- is named by its row id and first four characters.  No foreign keys, so
-- the record outlives the users and keys it names.
CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    event         text NOT NULL,   -- key.create, key.revoke, login, login.failed, ...
    severity      text NOT NULL DEFAULT 'Information',
    actor         text NOT NULL,   -- a user name, "API key 1a2b...", "command line"
    actor_user_id uuid,            -- NULL for API keys and the command line
    remote_addr   text NOT NULL DEFAULT '',
    client        text NOT NULL DEFAULT '',
    target        text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
