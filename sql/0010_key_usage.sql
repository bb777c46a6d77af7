-- keyfin schema, version 10: how much each key is used, per hour.
-- Workers count a key's requests in memory and add them here at most once
-- a minute (KEYFIN_USAGE_INTERVAL, src/usage.c), so the hot path stays
-- without writes; GET /keyfin/v1/keys/{id}/usage reads the last 7 days.
-- No foreign key: a count that arrives just after its key was revoked
-- must not fail the other counts of the batch.  Rows older than 8 days are
-- deleted by the writes themselves, and with them a revoked key's counts.
CREATE TABLE api_key_usage (
    key_id      bigint      NOT NULL,
    hour        timestamptz NOT NULL,       -- the start of a UTC hour
    requests    bigint      NOT NULL,
    PRIMARY KEY (key_id, hour)
);
CREATE INDEX api_key_usage_hour ON api_key_usage (hour);
