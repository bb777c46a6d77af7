-- keyfin schema, version 1.
-- Tokens are never stored in plain text: api_keys keeps a keyed BLAKE2b
-- digest (lookup) and the key sealed with crypto_secretbox (so an admin can
-- list it, as Jellyfin allows); sessions keep the digest only.

CREATE TABLE keyfin_server (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- Jellyfin's server Id: 32 hex, the same for every instance.
    server_id  text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO keyfin_server DEFAULT VALUES;

CREATE TABLE users (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    -- crypto_pwhash_str (Argon2id) output; '' = no password set.
    password_hash    text NOT NULL DEFAULT '',
    is_admin         boolean NOT NULL DEFAULT false,
    is_disabled      boolean NOT NULL DEFAULT false,
    -- Jellyfin creates users hidden (from the login screen's user list).
    is_hidden        boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_login_at    timestamptz,
    last_activity_at timestamptz
);
-- Jellyfin user names are unique regardless of case.
CREATE UNIQUE INDEX users_name_lower_key ON users (lower(name));

CREATE TABLE sessions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_digest     bytea NOT NULL UNIQUE CHECK (length(token_digest) = 32),
    -- NULL once the user is deleted: the token then answers 403, as Jellyfin.
    user_id          uuid REFERENCES users (id) ON DELETE SET NULL,
    client           text NOT NULL,
    device_name      text NOT NULL,
    device_id        text NOT NULL,
    app_version      text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now()
);
-- One session per (user, device): a new login from the device replaces it.
CREATE UNIQUE INDEX sessions_user_device_key ON sessions (user_id, device_id);

CREATE TABLE api_keys (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_name         text NOT NULL CHECK (length(app_name) BETWEEN 1 AND 64),
    key_digest       bytea NOT NULL UNIQUE CHECK (length(key_digest) = 32),
    key_sealed       bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_activity_at timestamptz
);
