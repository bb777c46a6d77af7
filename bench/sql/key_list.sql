-- STMT_KEY_LIST of src/store.c, verbatim.
SELECT id, app_name, encode(key_sealed, 'hex'), (extract(epoch from created_at) * 1000000)::int8, coalesce((extract(epoch from last_activity_at) * 1000000)::int8, 0), encode(key_digest, 'hex') FROM api_keys ORDER BY id;
