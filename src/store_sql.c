/* Every statement keyfin sends, by name, with $n parameters only. */
#include "store_int.h"

/* Columns every user query returns, in this order (see user_from_row). */
#define USER_COLS \
	"replace(id::text, '-', ''), name, password_hash, is_admin, is_disabled, " \
	"is_hidden, coalesce((extract(epoch from last_login_at) * 1000000)::int8, 0), " \
	"coalesce((extract(epoch from last_activity_at) * 1000000)::int8, 0), " \
	"failed_logins, coalesce(locked_until > now(), false)"

/* Columns of a key's details (see info_from_row). */
#define KEY_INFO_COLS \
	"k.id, k.app_name, encode(k.key_sealed, 'hex'), " \
	"(extract(epoch from k.created_at) * 1000000)::int8, " \
	"coalesce((extract(epoch from k.last_activity_at) * 1000000)::int8, 0), " \
	"k.last_address, coalesce((extract(epoch from k.expires_at) * 1000000)::int8, 0), " \
	"coalesce(array_to_string(k.scopes, chr(10)), ''), " \
	"coalesce(array_to_string(k.allowed_ips, chr(10)), ''), k.note, k.key_prefix, " \
	"coalesce((extract(epoch from k.reused_at) * 1000000)::int8, 0), k.reused_from"

/* The audit columns after the event-specific ones: actor, user id, address,
 * client ($n to $n+3). */
#define AUDIT_INSERT \
	"INSERT INTO audit_log (event, actor, actor_user_id, remote_addr, client, target) "

/* The key list's version: the sum of one row per connection that changed
 * a key (sql/0009_key_list_counts.sql). */
#define KEY_LIST_VERSION "(SELECT sum(version)::int8 FROM keyfin_key_list_counts)"

#define LOOKUP_SQL(MATCH, ADDR) \
	"SELECT 1, s.id, u.id IS NULL, coalesce(replace(u.id::text, '-', ''), ''), " \
	"coalesce(u.name, ''), coalesce(u.is_admin, false), coalesce(u.is_disabled, false), " \
	"(extract(epoch from s.last_activity_at) * 1000000)::int8, " \
	"s.client, s.device_name, s.device_id, s.app_version, '', true, 0::int8, " \
	"(SELECT generation FROM keyfin_revocation_counter), false, " \
	"(SELECT auth_cache_ms FROM keyfin_revocation_counter) " \
	"FROM sessions s LEFT JOIN users u ON u.id = s.user_id " \
	"WHERE s.token_digest " MATCH " " \
	"UNION ALL " \
	"SELECT 2, k.id, false, '', '', true, false, " \
	"coalesce((extract(epoch from k.last_activity_at) * 1000000)::int8, 0), " \
	"k.app_name, '', '', '', coalesce(array_to_string(k.scopes, chr(10)), ''), " \
	"k.allowed_ips IS NULL OR coalesce(" ADDR "::inet <<= ANY (k.allowed_ips), false), " \
	"CASE WHEN k.expires_at IS NULL THEN 0 ELSE " \
	"greatest((extract(epoch from k.expires_at - now()) * 1000000)::int8, 1) END, " \
	"(SELECT generation FROM keyfin_revocation_counter), k.expires_at <= now(), " \
	"(SELECT auth_cache_ms FROM keyfin_revocation_counter) " \
	"FROM api_keys k WHERE k.key_digest " MATCH " " \
	"AND (k.expires_at IS NULL OR k.expires_at > now() OR k.rolled_to IS NOT NULL)"

const struct stmt_def store_stmts[STMT_COUNT] = {
	/* The hot path: every request.  Session tokens and API keys in one round
	 * trip; a row of each kind (two random 128-bit tokens equal) would be
	 * taken session first, as Jellyfin does, by store_lookup_token, not by
	 * an ORDER BY: a sort costs PostgreSQL a quarter of this statement.
	 * LOOKUP_SQL's MATCH is the digest test: "= $1" with one secret in
	 * force, "IN ($1, $2)" with two (an IN list scans the index twice).
	 * An expired key is no key.  The caller's address is checked against
	 * a key's allowed_ips here, where PostgreSQL knows CIDR. */
	[STMT_LOOKUP_TOKEN] = { "lookup_token", 2, true, LOOKUP_SQL("= $1", "$2") },
	[STMT_LOOKUP_TOKEN2] = { "lookup_token2", 3, true, LOOKUP_SQL("IN ($1, $2)", "$3") },
	/* has anything been revoked (sql/0004_revocations.sql)?  With the
	 * window this read lets a worker remember for (0007) */
	[STMT_GENERATION] = { "generation", 0, true,
		"SELECT generation, auth_cache_ms FROM keyfin_revocation_counter" },
	/* how long a revoking answer is held, read after its commit (0007) */
	[STMT_HOLD_MS] = { "hold_ms", 0, true,
		"SELECT greatest(auth_cache_ms, coalesce(auth_cache_ms_previous, 0)) "
		"FROM keyfin_revocation_counter" },
	[STMT_AUTH_CACHE_GET] = { "auth_cache_get", 0, true,
		"SELECT auth_cache_ms, coalesce(auth_cache_ms_previous, -1) FROM keyfin_revocation_counter" },
	/* the old window (or one still held from a change under way) stays in
	 * force for revocations until STMT_AUTH_CACHE_SETTLED; answers the
	 * window it replaced and how long the old one may still be in use */
	[STMT_AUTH_CACHE_SET] = { "auth_cache_set", 1, false,
		"WITH was AS (SELECT auth_cache_ms FROM keyfin_revocation_counter FOR UPDATE) "
		"UPDATE keyfin_revocation_counter r SET auth_cache_ms = $1::int, "
		"auth_cache_ms_previous = greatest(r.auth_cache_ms, coalesce(r.auth_cache_ms_previous, 0)) "
		"FROM was RETURNING was.auth_cache_ms, r.auth_cache_ms_previous" },
	/* $2: the previous window this command set; another change since
	 * (another command) is left for that command to settle */
	[STMT_AUTH_CACHE_SETTLED] = { "auth_cache_settled", 2, true,
		"UPDATE keyfin_revocation_counter SET auth_cache_ms_previous = NULL "
		"WHERE auth_cache_ms = $1::int AND auth_cache_ms_previous = $2::int" },
	[STMT_TOUCH_SESSION] = { "touch_session", 2, true,
		"WITH s AS (UPDATE sessions SET last_activity_at = now() WHERE id = $1 "
		"AND last_activity_at < now() - $2::int * interval '1 second' RETURNING user_id) "
		"UPDATE users SET last_activity_at = now() WHERE id = (SELECT user_id FROM s)" },
	[STMT_TOUCH_KEY] = { "touch_key", 3, true,
		"UPDATE api_keys SET last_activity_at = now(), last_address = coalesce($3, '') "
		"WHERE id = $1 AND (last_activity_at IS NULL OR "
		"last_activity_at < now() - $2::int * interval '1 second')" },
	[STMT_SERVER_ID] = { "server_id", 0, true,
		"SELECT server_id FROM keyfin_server" },
	/* which secret the keys were made under (sql/0008_secret_check.sql):
	 * binary, a NULL for none recorded */
	[STMT_SECRET_CHECK_GET] = { "secret_check_get", 0, true,
		"SELECT secret_check FROM keyfin_server", .binary = true },
	/* record $1 if none is, and answer what is recorded */
	[STMT_SECRET_CHECK_CLAIM] = { "secret_check_claim", 1, true,
		"WITH c AS (UPDATE keyfin_server SET secret_check = $1 WHERE secret_check IS NULL "
		"RETURNING secret_check) "
		"SELECT coalesce((SELECT secret_check FROM c), secret_check) FROM keyfin_server",
		.binary = true },
	[STMT_SECRET_CHECK_SET] = { "secret_check_set", 1, true,
		"UPDATE keyfin_server SET secret_check = $1" },
	/* One page of keys after id $1 (keyset paging: each key once, however
	 * the table changes between pages); binary results (store_col_bytes, store_col_time):
	 * the box and digest as bytes, no hex to make and undo. */
	[STMT_KEY_LIST] = { "key_list", 2, true,
		"SELECT id, app_name, key_sealed, created_at, last_activity_at, "
		"key_digest, key_prefix, " KEY_LIST_VERSION " "
		"FROM api_keys WHERE id > $1::int8 ORDER BY id LIMIT $2::int", .binary = true },
	[STMT_KEY_LIST_VERSION] = { "key_list_version", 0, true,
		"SELECT " KEY_LIST_VERSION ", (SELECT auth_cache_ms FROM keyfin_revocation_counter)" },
	/* rows of connections that are gone, folded into row 0 (0009) */
	[STMT_KEY_LIST_FOLD] = { "key_list_fold", 0, true, "SELECT keyfin_key_list_fold()" },
	[STMT_KEY_DELETE] = { "key_delete", 7, true,
		"WITH d AS (DELETE FROM api_keys WHERE key_digest IN ($1, $2) "
		"RETURNING id, app_name) "
		AUDIT_INSERT "SELECT 'key.revoke', $4, $5::uuid, $6, $7, "
		"'key ' || d.id || ' (' || $3 || '...) of ' || d.app_name FROM d" },
	/* $9 expires_at (text), $10 ttl seconds, $11 scopes, $12 allowed_ips
	 * (array literals), $13 note */
	[STMT_KEY_INSERT] = { "key_insert", 13, false,
		"WITH k AS (INSERT INTO api_keys (app_name, key_digest, key_sealed, key_prefix, "
		"expires_at, scopes, allowed_ips, note) VALUES ($1, $2, $3, $4, coalesce($9::timestamptz, "
		"now() + $10::int * interval '1 second'), $11::text[], $12::cidr[], "
		"coalesce($13, '')) RETURNING *), "
		"a AS (" AUDIT_INSERT "SELECT 'key.create', $5, $6::uuid, $7, $8, "
		"'key ' || k.id || ' (' || $4 || '...) for ' || $1 FROM k) "
		"SELECT " KEY_INFO_COLS " FROM k" },
	[STMT_KEY_INFO] = { "key_info", 1, true,
		"SELECT " KEY_INFO_COLS " FROM api_keys k WHERE ($1::int8 IS NULL OR k.id = $1) "
		"ORDER BY k.id" },
	/* $2.. are (change?, value) pairs: expires, scopes, ips, note */
	[STMT_KEY_UPDATE] = { "key_update", 10, true,
		"UPDATE api_keys k SET "
		"expires_at = CASE WHEN $2 THEN coalesce($3::timestamptz, now() + $4::int * "
		"interval '1 second') ELSE expires_at END, "
		"scopes = CASE WHEN $5 THEN $6::text[] ELSE scopes END, "
		"allowed_ips = CASE WHEN $7 THEN $8::cidr[] ELSE allowed_ips END, "
		"note = CASE WHEN $9 THEN coalesce($10, '') ELSE note END "
		"WHERE id = $1 RETURNING " KEY_INFO_COLS },
	/* a new key with the old one's options; the old one lives `grace`
	 * seconds more (or less, if it expired sooner anyway) */
	[STMT_KEY_ROLL] = { "key_roll", 9, false,
		"WITH prev AS (SELECT * FROM api_keys WHERE id = $1 FOR UPDATE), "
		"k AS (INSERT INTO api_keys (app_name, key_digest, key_sealed, key_prefix, expires_at, "
		"scopes, allowed_ips, note) SELECT app_name, $3, $4, $5, expires_at, scopes, "
		"allowed_ips, note "
		"FROM prev RETURNING *), "
		"old AS (UPDATE api_keys SET expires_at = least(coalesce(prev.expires_at, "
		"'infinity'), now() + $2::int * interval '1 second'), "
		"rolled_to = (SELECT id FROM k) FROM prev "
		"WHERE api_keys.id = prev.id), "
		"a AS (" AUDIT_INSERT "SELECT 'key.roll', $6, $7::uuid, $8, $9, "
		"'key ' || prev.id || ' rolled to key ' || k.id || ' (' || $5 || '...) for ' || "
		"k.app_name FROM prev, k) "
		"SELECT " KEY_INFO_COLS " FROM k" },
	[STMT_KEY_DELETE_ID] = { "key_delete_id", 5, true,
		"WITH d AS (DELETE FROM api_keys WHERE id = $1 RETURNING id, app_name) "
		AUDIT_INSERT "SELECT 'key.revoke', $2, $3::uuid, $4, $5, "
		"'key ' || d.id || ' of ' || d.app_name FROM d RETURNING 1" },
	/* a rolled key used after its grace: recorded (at most once a minute),
	 * and with $3 its replacement revoked; $2 the address, $4 the client */
	/* front mode: was this token a keyfin key, now revoked (its digest left
	 * in key_tombstones, sql/0007) or expired?  Asked only of a token the
	 * lookup did not find; $1, $2 its digests (the same twice with one
	 * secret in force) */
	[STMT_KEY_GONE] = { "key_gone", 2, true,
		"SELECT EXISTS (SELECT 1 FROM key_tombstones WHERE key_digest IN ($1, $2)) "
		"OR EXISTS (SELECT 1 FROM api_keys WHERE key_digest IN ($1, $2) "
		"AND expires_at <= now())" },
	[STMT_KEY_REUSED] = { "key_reused", 4, false,
		"WITH r AS (UPDATE api_keys SET reused_at = now(), reused_from = coalesce($2, '') "
		"WHERE id = $1 AND rolled_to IS NOT NULL AND "
		"(reused_at IS NULL OR reused_at < now() - interval '1 minute') "
		"RETURNING id, rolled_to, key_prefix, app_name), "
		"a AS (INSERT INTO audit_log (event, severity, actor, remote_addr, client, target) "
		"SELECT 'key.reuse', 'Warning', 'API key ' || r.key_prefix || '...', coalesce($2, ''), "
		"coalesce($4, ''), 'key ' || r.id || ' (' || r.key_prefix || '...) of ' || r.app_name "
		"|| ', rolled to key ' || r.rolled_to FROM r), "
		"d AS (DELETE FROM api_keys WHERE $3::bool AND id = (SELECT rolled_to FROM r) "
		"RETURNING id, key_prefix, app_name), "
		"b AS (" AUDIT_INSERT "SELECT 'key.revoke', 'keyfin', NULL, coalesce($2, ''), "
		"'rolled key reused', 'key ' || d.id || ' (' || d.key_prefix || '...) of ' || "
		"d.app_name FROM d) "
		"SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM d)" },
	/* one instance at a time (the others skip: the lock is taken) */
	[STMT_KEY_SWEEP] = { "key_sweep", 1, false,
		"WITH l AS (SELECT pg_try_advisory_xact_lock(" STORE_STR(STORE_LOCK_SWEEP) ") AS got), "
		"d AS (DELETE FROM api_keys WHERE (SELECT got FROM l) AND "
		"coalesce(last_activity_at, created_at) < now() - $1::int * interval '1 day' "
		"RETURNING id, app_name, key_prefix) "
		AUDIT_INSERT "SELECT 'key.revoke', 'keyfin', NULL, '', 'unused keys', "
		"'key ' || id || ' (' || key_prefix || '...) of ' || app_name || ', unused for ' "
		"|| $1 || ' days' FROM d" },
	/* only if nobody revoked or re-sealed it meanwhile */
	[STMT_KEY_RESEAL] = { "key_reseal", 4, true,
		"UPDATE api_keys SET key_digest = $2, key_sealed = $3 "
		"WHERE id = $1 AND key_digest = $4" },
	[STMT_USER_BY_NAME] = { "user_by_name", 1, true,
		"SELECT " USER_COLS " FROM users WHERE lower(name) = lower($1)" },
	[STMT_USER_BY_ID] = { "user_by_id", 1, true,
		"SELECT " USER_COLS " FROM users WHERE id = $1::uuid" },
	[STMT_USER_LIST] = { "user_list", 0, true,
		"SELECT " USER_COLS " FROM users ORDER BY lower(name)" },
	[STMT_USER_INSERT] = { "user_insert", 3, false,
		"INSERT INTO users (name, password_hash, is_admin) VALUES ($1, $2, $3) "
		"RETURNING " USER_COLS },
	[STMT_USER_DELETE] = { "user_delete", 1, true,
		"DELETE FROM users WHERE id = $1::uuid" },
	/* saving a policy also lifts a lockout, as re-enabling does in Jellyfin */
	[STMT_USER_SET_POLICY] = { "user_set_policy", 4, true,
		"UPDATE users SET is_admin = $2, is_disabled = $3, is_hidden = $4, "
		"failed_logins = 0, locked_until = NULL WHERE id = $1::uuid" },
	[STMT_USER_SET_PASSWORD] = { "user_set_password", 2, true,
		"UPDATE users SET password_hash = $2 WHERE id = $1::uuid" },
	[STMT_COUNT_ADMINS] = { "count_admins", 0, true,
		"SELECT count(*) FROM users WHERE is_admin AND NOT is_disabled" },
	[STMT_SESSION_CREATE] = { "session_create", 6, false,
		"WITH u AS (UPDATE users SET last_login_at = now(), last_activity_at = now(), "
		"failed_logins = 0, locked_until = NULL WHERE id = $1::uuid) "
		"INSERT INTO sessions (user_id, token_digest, client, device_name, device_id, "
		"app_version) VALUES ($1::uuid, $2, $3, $4, $5, $6) "
		"ON CONFLICT (user_id, device_id) DO UPDATE SET token_digest = EXCLUDED.token_digest, "
		"client = EXCLUDED.client, device_name = EXCLUDED.device_name, "
		"app_version = EXCLUDED.app_version, created_at = now(), last_activity_at = now()" },
	[STMT_SESSION_DELETE] = { "session_delete", 1, true,
		"DELETE FROM sessions WHERE id = $1" },
	[STMT_SESSION_REVOKE_USER] = { "session_revoke_user", 2, true,
		"DELETE FROM sessions WHERE user_id = $1::uuid AND id <> $2" },
	[STMT_LOGIN_FAILED] = { "login_failed", 3, false,
		"UPDATE users SET failed_logins = failed_logins + 1, locked_until = CASE "
		"WHEN $2::int > 0 AND failed_logins + 1 >= $2::int "
		"THEN now() + $3::int * interval '1 second' ELSE locked_until END "
		"WHERE id = $1::uuid RETURNING locked_until IS NOT NULL AND locked_until > now()" },
	[STMT_USER_UNLOCK] = { "user_unlock", 1, true,
		"UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1::uuid" },
	[STMT_AUDIT_ADD] = { "audit_add", 7, false,
		"INSERT INTO audit_log (event, severity, actor, actor_user_id, remote_addr, "
		"client, target) VALUES ($1, $2, $3, $4::uuid, $5, $6, $7)" },
	/* $5, $6 (keyfin's own): before a date; an event or its kind, "key"
	 * for key.create, key.revoke... */
	[STMT_AUDIT_LIST] = { "audit_list", 6, true,
		"SELECT id, (extract(epoch from at) * 1000000)::int8, event, severity, actor, "
		"coalesce(replace(actor_user_id::text, '-', ''), ''), remote_addr, client, target, "
		"count(*) OVER () FROM audit_log "
		"WHERE ($1::timestamptz IS NULL OR at >= $1::timestamptz) "
		"AND ($2::bool IS NULL OR (actor_user_id IS NOT NULL) = $2::bool) "
		"AND ($5::timestamptz IS NULL OR at < $5::timestamptz) "
		"AND ($6::text IS NULL OR event = $6 OR starts_with(event, $6 || '.')) "
		"ORDER BY id DESC OFFSET $3 LIMIT $4" },
	/* a worker's counts (src/usage.c): key ids, hours (epoch seconds) and
	 * numbers as three arrays, added up; sorted so that two workers lock
	 * rows in one order; what is over 8 days old goes meanwhile */
	[STMT_USAGE_ADD] = { "usage_add", 3, false,
		"WITH old AS (DELETE FROM api_key_usage WHERE hour < now() - interval '8 days') "
		"INSERT INTO api_key_usage (key_id, hour, requests) "
		"SELECT k, to_timestamp(h), n FROM unnest($1::int8[], $2::int8[], $3::int8[]) "
		"AS u(k, h, n) ORDER BY k, h "
		"ON CONFLICT (key_id, hour) DO UPDATE SET "
		"requests = api_key_usage.requests + EXCLUDED.requests" },
	/* the hours since $2 (epoch seconds) of key $1, or of every key */
	[STMT_USAGE_LIST] = { "usage_list", 2, true,
		"SELECT key_id, extract(epoch from hour)::int8, requests FROM api_key_usage "
		"WHERE hour >= to_timestamp($2::int8) AND ($1::int8 IS NULL OR key_id = $1) "
		"ORDER BY key_id, hour" },
	[STMT_SESSION_LIST] = { "session_list", 0, true,
		"SELECT s.id, coalesce(replace(u.id::text, '-', ''), ''), coalesce(u.name, ''), "
		"s.client, s.device_name, s.device_id, s.app_version, "
		"(extract(epoch from s.created_at) * 1000000)::int8, "
		"(extract(epoch from s.last_activity_at) * 1000000)::int8 "
		"FROM sessions s LEFT JOIN users u ON u.id = s.user_id "
		"ORDER BY lower(coalesce(u.name, '')), s.last_activity_at DESC" },
	/* an administrator ends a session: recorded with whose and which device */
	[STMT_SESSION_SIGN_OUT] = { "session_sign_out", 5, true,
		"WITH d AS (DELETE FROM sessions WHERE id = $1 RETURNING id, user_id, device_name, client) "
		AUDIT_INSERT "SELECT 'session.revoke', $2, $3::uuid, $4, $5, "
		"'session ' || d.id || ' of ' || coalesce(u.name, 'a deleted user') || ' (' || "
		"d.device_name || ', ' || d.client || ')' FROM d LEFT JOIN users u ON u.id = d.user_id "
		"RETURNING 1" },
};
