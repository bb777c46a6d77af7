-- keyfin schema, version 6: using a key after its roll's grace ended.
-- A rolled key points to the key that replaced it; when it is presented
-- after its grace, keyfin refuses it (it has expired) and records the reuse
-- here and in the audit trail: the old key may have leaked
-- (KEYFIN_ROLL_REUSE=revoke also revokes the replacement).
ALTER TABLE api_keys
    ADD COLUMN rolled_to    bigint,                         -- the key that replaced this one
    ADD COLUMN reused_at    timestamptz,                    -- last use after the grace
    ADD COLUMN reused_from  text NOT NULL DEFAULT '';       -- and from where
