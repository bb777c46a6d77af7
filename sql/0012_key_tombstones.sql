-- keyfin schema, version 12: the digests of deleted keys, for front mode
-- (KEYFIN_UPSTREAM: keyfin in front of a real Jellyfin, docs/front.md).
-- There a token keyfin does not know goes on to Jellyfin (its own sessions
-- and keys), so a revoked keyfin key must be told apart from a token that
-- was never keyfin's: it is refused (401) and never reaches Jellyfin.
--
-- Every statement that deletes keys (DELETE /Auth/Keys/..., the extension
-- API, `keyfin key revoke`, KEYFIN_REVOKE_UNUSED_DAYS, KEYFIN_ROLL_REUSE,
-- an operator's own SQL) leaves their digests here, by trigger and in the
-- same transaction.  Only the keyed digest is kept, never a key: 32 bytes a
-- revoked key.  A digest made under a server secret no longer given (after
-- `keyfin secret rotate` and the old secret's removal) matches nothing;
-- such a key then goes on to Jellyfin, which does not know it either (401).
CREATE TABLE key_tombstones (
    key_digest  bytea PRIMARY KEY CHECK (length(key_digest) = 32),
    revoked_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION keyfin_key_tombstones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO key_tombstones (key_digest)
        SELECT key_digest FROM gone ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_tombstones AFTER DELETE ON api_keys
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_key_tombstones();
