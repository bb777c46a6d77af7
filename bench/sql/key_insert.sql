-- STMT_KEY_INSERT of src/store.c, verbatim but for $2: a new random digest
-- is made by the server (keyfin makes it in the worker), so that every
-- INSERT is a new key as in POST /Auth/Keys.
WITH k AS (INSERT INTO api_keys (app_name, key_digest, key_sealed, key_prefix) VALUES (:app, sha256(uuid_send(gen_random_uuid())), :sealed, :prefix) RETURNING id, created_at), a AS (INSERT INTO audit_log (event, actor, actor_user_id, remote_addr, client, target) SELECT 'key.create', :actor, :uid::uuid, :remote, :client, 'key ' || k.id || ' (' || :prefix || '...) for ' || :app FROM k) SELECT id, (extract(epoch from created_at) * 1000000)::int8 FROM k;
