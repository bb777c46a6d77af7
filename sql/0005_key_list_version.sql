-- keyfin schema, version 5: a version of the key list, for the workers'
-- memory of the GET /Auth/Keys answer (src/handle_keys.c).  Any statement
-- that inserts, changes or deletes a key adds one, by trigger and in the
-- same transaction (a key's DateLastActivity included).  A worker sends the
-- list it rendered only after reading this version in PostgreSQL and
-- finding it unchanged: one read of one row instead of the whole list, and
-- a key created anywhere is listed everywhere as soon as POST has answered.
--
-- It lives in the revocation counter's row (0004): a statement that raises
-- both (a key deleted) then locks one row, not two that another statement
-- could lock in the other order (a deadlock).
ALTER TABLE keyfin_revocations ADD COLUMN key_list_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION keyfin_key_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM touched) THEN
        UPDATE keyfin_revocations SET key_list_version = key_list_version + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION keyfin_key_list_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE keyfin_revocations SET key_list_version = key_list_version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_list_insert AFTER INSERT ON api_keys
    REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_key_list_changed();
CREATE TRIGGER api_keys_list_update AFTER UPDATE ON api_keys
    REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_key_list_changed();
CREATE TRIGGER api_keys_list_delete AFTER DELETE ON api_keys
    REFERENCING OLD TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_key_list_changed();
CREATE TRIGGER api_keys_list_truncate AFTER TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION keyfin_key_list_truncated();
