-- keyfin schema, version 4: a revocation counter for the workers' memory of
-- who a token is (src/auth.c).  Every change that can take a right away
-- (a key or session deleted, a key's digest, scopes, addresses or expiry
-- changed, a session's user changed, a user deleted, disabled, demoted or
-- renamed) adds one to `generation` in the same transaction, by trigger, so
-- that nothing keyfin or an operator does by hand can forget it.  A worker
-- answers from memory only while it has seen the current generation within
-- KEYFIN_AUTH_CACHE_MS, and a revoking request waits that long before it
-- answers: once it has answered, no worker anywhere accepts what it revoked.
CREATE TABLE keyfin_revocations (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation  bigint NOT NULL DEFAULT 0
);
INSERT INTO keyfin_revocations DEFAULT VALUES;

CREATE FUNCTION keyfin_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE keyfin_revocations SET generation = generation + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_revoked AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION keyfin_revoked();
CREATE TRIGGER api_keys_changed AFTER UPDATE ON api_keys FOR EACH ROW
    WHEN (OLD.key_digest IS DISTINCT FROM NEW.key_digest
          OR OLD.scopes IS DISTINCT FROM NEW.scopes
          OR OLD.allowed_ips IS DISTINCT FROM NEW.allowed_ips
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
    EXECUTE FUNCTION keyfin_revoked();

CREATE TRIGGER sessions_revoked AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION keyfin_revoked();
CREATE TRIGGER sessions_changed AFTER UPDATE ON sessions FOR EACH ROW
    WHEN (OLD.token_digest IS DISTINCT FROM NEW.token_digest
          OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION keyfin_revoked();

CREATE TRIGGER users_revoked AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION keyfin_revoked();
CREATE TRIGGER users_changed AFTER UPDATE ON users FOR EACH ROW
    WHEN (OLD.is_admin IS DISTINCT FROM NEW.is_admin
          OR OLD.is_disabled IS DISTINCT FROM NEW.is_disabled
          OR OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION keyfin_revoked();
