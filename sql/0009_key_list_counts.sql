-- keyfin schema, version 9: the key list's version without one hot row.
--
-- 0005 kept the version of the key list in the revocation counter's one
-- row, raised by every statement that changes a key: every key creation
-- locked that row until its commit, and creations queued on it (about
-- 3,000 a second here, docs/performance.md).  The version is now the sum of
-- one row per database connection that ever changed a key: a statement
-- raises its own connection's row (keyed by pg_backend_pid()), which no
-- other connection locks, so creations no longer wait for each other, and
-- no two transactions can ever wait for each other's rows (the lock order
-- with the revocation counter does not matter).  The sum grows with every
-- committed change, so a worker's kept list is exactly as fresh as before.
-- Revocation is not touched: `generation` stays one row, raised once a
-- statement that takes a right away (0004).
--
-- Rows of connections that are gone are folded into row 0 now and then
-- (keyfin_key_list_fold(), run by `keyfin migrate` and by the workers' sweep
-- every 10 minutes), in one transaction: the sum never changes by it.
--
-- Expand, for one release: instances of the previous release still read
-- `keyfin_revocations` (`generation`, `key_list_version`), so that name is
-- now a view of the counter and the sum, with every column the table had
-- (tests/integration/upgrade.test.mjs runs 0.1.0 beside this release).  A
-- later release drops the view.
CREATE TABLE keyfin_key_list_counts (
    pid      integer PRIMARY KEY,
    version  bigint NOT NULL DEFAULT 0
);
-- the sum goes on from where the one row was
INSERT INTO keyfin_key_list_counts (pid, version)
    SELECT 0, key_list_version FROM keyfin_revocations;

-- expand: the old name stays, as a view with every column it had
ALTER TABLE keyfin_revocations RENAME TO keyfin_revocation_counter;
-- expand: the view below still has key_list_version, now the sum
ALTER TABLE keyfin_revocation_counter DROP COLUMN key_list_version;
CREATE VIEW keyfin_revocations AS
    SELECT c.only_row, c.generation,
           (SELECT sum(version) FROM keyfin_key_list_counts)::bigint AS key_list_version,
           c.auth_cache_ms, c.auth_cache_ms_previous
    FROM keyfin_revocation_counter c;

-- 0004's functions, on the counter's new name
CREATE OR REPLACE FUNCTION keyfin_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE keyfin_revocation_counter SET generation = generation + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION keyfin_revoked_if_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gone) THEN
        UPDATE keyfin_revocation_counter SET generation = generation + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION keyfin_revoked_if_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
        UPDATE keyfin_revocation_counter SET generation = generation + 1;
    END IF;
    RETURN NULL;
END
$$;

-- 0005's functions: this connection's row
CREATE OR REPLACE FUNCTION keyfin_key_list_raise() RETURNS void LANGUAGE sql AS $$
    INSERT INTO keyfin_key_list_counts AS c (pid, version) VALUES (pg_backend_pid(), 1)
        ON CONFLICT (pid) DO UPDATE SET version = c.version + 1;
$$;

CREATE OR REPLACE FUNCTION keyfin_key_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM touched) THEN
        PERFORM keyfin_key_list_raise();
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION keyfin_key_list_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM keyfin_key_list_raise();
    RETURN NULL;
END
$$;

-- Folds the rows of connections that are gone into row 0; returns how many.
CREATE FUNCTION keyfin_key_list_fold() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    folded bigint;
    n integer;
BEGIN
    WITH gone AS (
        DELETE FROM keyfin_key_list_counts
        WHERE pid <> 0 AND pid NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
        RETURNING version
    )
    SELECT coalesce(sum(version), 0), count(*) INTO folded, n FROM gone;
    IF n > 0 THEN
        UPDATE keyfin_key_list_counts SET version = version + folded WHERE pid = 0;
    END IF;
    RETURN n;
END
$$;
