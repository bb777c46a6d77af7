-- STMT_KEY_LIST of src/store.c, verbatim: the first page (all 50 keys).
-- keyfin asks for binary results; pgbench can only take text.
SELECT id, app_name, key_sealed, (extract(epoch from created_at) * 1000000)::int8, coalesce((extract(epoch from last_activity_at) * 1000000)::int8, 0), key_digest, key_prefix FROM api_keys WHERE id > 0::int8 ORDER BY id LIMIT 1000::int;
