-- keyfin schema, version 3: what Jellyfin keys lack (keyfin's /keyfin/v1/).
-- A key made through the Jellyfin API has none of these: it never expires,
-- may do everything (as in Jellyfin), from anywhere.
ALTER TABLE api_keys
    ADD COLUMN expires_at   timestamptz,    -- refused from then on (401)
    ADD COLUMN scopes       text[],         -- NULL = {admin}; else admin, read, /path/prefix
    ADD COLUMN allowed_ips  cidr[],         -- NULL = anywhere; else only from these (403)
    ADD COLUMN note         text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    ADD COLUMN last_address text NOT NULL DEFAULT '',
    -- the first four characters, for lists; the key itself can be kept
    -- nowhere at all (KEYFIN_HASH_ONLY: key_sealed NULL)
    ADD COLUMN key_prefix   text NOT NULL DEFAULT '',
    ALTER COLUMN key_sealed DROP NOT NULL;
