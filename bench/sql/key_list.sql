-- STMT_KEY_LIST of src/store_sql.c, verbatim: the first page (all 50 keys).
-- keyfin asks for binary results; pgbench can only take text.
SELECT id, app_name, key_sealed, created_at, last_activity_at, key_digest, key_prefix, (SELECT sum(version)::int8 FROM keyfin_key_list_counts) FROM api_keys WHERE id > 0::int8 ORDER BY id LIMIT 1000::int;
