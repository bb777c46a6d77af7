-- keyfin schema, version 7: the memory window lives in the database.
--
-- A worker answers from its memory of who a token is only while it has
-- read the revocation counter within a window, and a revoking request holds
-- its answer back as long (0004).  That promise holds across instances only
-- if no worker remembers longer than a revoker waits: when each instance
-- took the window from its own KEYFIN_AUTH_CACHE_MS, one started with a
-- larger value kept accepting keys revoked through the others.  Now every
-- read of the counter also reads `auth_cache_ms`, and a worker remembers
-- for that long at most (KEYFIN_AUTH_CACHE_MS can only lower it for its
-- own workers); a revoking request reads, after its commit, how long to
-- hold: the larger of `auth_cache_ms` and `auth_cache_ms_previous`.
--
-- `auth_cache_ms_previous` is set while a change is under way (`keyfin
-- auth-cache set MS`): a worker may still use the window it read before the
-- change for that long, so revocations keep waiting it until the command
-- clears it, once that long has passed since the change committed.
--
-- Expand only: keyfin 0.1.0 reads neither column and runs unchanged on this
-- schema (with its own KEYFIN_AUTH_CACHE_MS, which must then not exceed
-- `auth_cache_ms`: the default, 50, is the value set here).
ALTER TABLE keyfin_revocations
    ADD COLUMN auth_cache_ms int NOT NULL DEFAULT 50
        CHECK (auth_cache_ms BETWEEN 0 AND 1000),
    ADD COLUMN auth_cache_ms_previous int
        CHECK (auth_cache_ms_previous BETWEEN 0 AND 1000);
