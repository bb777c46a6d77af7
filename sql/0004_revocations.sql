-- keyfin schema, version 4: a revocation counter for the workers' memory of
-- who a token is (src/auth.c).  Every change that can take a right away
-- (a key or session deleted, a key's digest, scopes, addresses or expiry
-- changed, a session's token or user changed, a user deleted, disabled,
-- demoted or renamed) adds one to `generation` in the same transaction, by
-- trigger, so that nothing keyfin or an operator does by hand can forget
-- it.  A worker answers from memory only while it has seen the current
-- generation within KEYFIN_AUTH_CACHE_MS, and a revoking request waits that
-- long before it answers: once it has answered, no worker anywhere accepts
-- what it revoked.
--
-- The triggers fire once a statement, not once a row: a statement that
-- deletes a million keys adds one, not a million row versions of the
-- counter that every check would then have to read past.
--
-- What no trigger sees: ALTER TABLE ... DISABLE TRIGGER,
-- session_replication_role = replica, pg_restore --disable-triggers.  After
-- such work, add one to `generation` by hand (or restart keyfin).
CREATE TABLE keyfin_revocations (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation  bigint NOT NULL DEFAULT 0
);
INSERT INTO keyfin_revocations DEFAULT VALUES;

-- DELETE: when the statement deleted any row.
CREATE FUNCTION keyfin_revoked_if_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gone) THEN
        UPDATE keyfin_revocations SET generation = generation + 1;
    END IF;
    RETURN NULL;
END
$$;

-- UPDATE (also of INSERT ... ON CONFLICT DO UPDATE): when a row changed in
-- a column that decides what its token may do.
CREATE FUNCTION keyfin_revoked_if_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed boolean;
BEGIN
    IF TG_TABLE_NAME = 'api_keys' THEN
        SELECT EXISTS (SELECT 1 FROM was JOIN now_is USING (id)
            WHERE was.key_digest IS DISTINCT FROM now_is.key_digest
               OR was.scopes IS DISTINCT FROM now_is.scopes
               OR was.allowed_ips IS DISTINCT FROM now_is.allowed_ips
               OR was.expires_at IS DISTINCT FROM now_is.expires_at) INTO changed;
    ELSIF TG_TABLE_NAME = 'sessions' THEN
        SELECT EXISTS (SELECT 1 FROM was JOIN now_is USING (id)
            WHERE was.token_digest IS DISTINCT FROM now_is.token_digest
               OR was.user_id IS DISTINCT FROM now_is.user_id) INTO changed;
    ELSE
        SELECT EXISTS (SELECT 1 FROM was JOIN now_is USING (id)
            WHERE was.is_admin IS DISTINCT FROM now_is.is_admin
               OR was.is_disabled IS DISTINCT FROM now_is.is_disabled
               OR was.name IS DISTINCT FROM now_is.name) INTO changed;
    END IF;
    IF changed THEN
        UPDATE keyfin_revocations SET generation = generation + 1;
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE: always.
CREATE FUNCTION keyfin_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE keyfin_revocations SET generation = generation + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_revoked AFTER DELETE ON api_keys
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked_if_deleted();
CREATE TRIGGER api_keys_changed AFTER UPDATE ON api_keys
    REFERENCING OLD TABLE AS was NEW TABLE AS now_is
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked_if_changed();

CREATE TRIGGER sessions_revoked AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked_if_deleted();
CREATE TRIGGER sessions_changed AFTER UPDATE ON sessions
    REFERENCING OLD TABLE AS was NEW TABLE AS now_is
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked_if_changed();

CREATE TRIGGER users_revoked AFTER DELETE ON users
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked_if_deleted();
CREATE TRIGGER users_changed AFTER UPDATE ON users
    REFERENCING OLD TABLE AS was NEW TABLE AS now_is
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked_if_changed();

CREATE TRIGGER api_keys_truncated AFTER TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked();
CREATE TRIGGER sessions_truncated AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked();
CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_revoked();
