-- keyfin schema, version 11: there is always an administrator.
-- The handlers refuse to delete, demote or disable the last enabled
-- administrator (src/handle_users.c), but two administrators demoting each
-- other at the same moment would each see the other still there.  This
-- trigger decides under a lock, after the change: whoever comes second sees
-- the first one's commit and is refused (SQLSTATE KF001), also when an
-- operator edits the table by hand.
CREATE FUNCTION keyfin_keep_an_admin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- one such change at a time; each statement below sees those committed
    PERFORM pg_advisory_xact_lock(7305310615);
    IF NOT EXISTS (SELECT 1 FROM users WHERE is_admin AND NOT is_disabled) THEN
        RAISE EXCEPTION 'There must be at least one enabled administrator.'
            USING ERRCODE = 'KF001';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_keep_an_admin_update
    AFTER UPDATE OF is_admin, is_disabled ON users
    FOR EACH ROW
    WHEN (OLD.is_admin AND NOT OLD.is_disabled AND NOT (NEW.is_admin AND NOT NEW.is_disabled))
    EXECUTE FUNCTION keyfin_keep_an_admin();
CREATE TRIGGER users_keep_an_admin_delete
    AFTER DELETE ON users
    FOR EACH ROW
    WHEN (OLD.is_admin AND NOT OLD.is_disabled)
    EXECUTE FUNCTION keyfin_keep_an_admin();
