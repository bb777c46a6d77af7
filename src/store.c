#include "keyfin/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/monotime.h"
#include "keyfin/migrate.h"

#include "store_conn.h"

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
	"coalesce(array_to_string(k.allowed_ips, chr(10)), ''), k.note, k.key_prefix"

/* The audit columns after the event-specific ones: actor, user id, address,
 * client ($n to $n+3). */
#define AUDIT_INSERT \
	"INSERT INTO audit_log (event, actor, actor_user_id, remote_addr, client, target) "

#define LOOKUP_SQL(MATCH, ADDR) \
	"SELECT 1, s.id, u.id IS NULL, coalesce(replace(u.id::text, '-', ''), ''), " \
	"coalesce(u.name, ''), coalesce(u.is_admin, false), coalesce(u.is_disabled, false), " \
	"(extract(epoch from s.last_activity_at) * 1000000)::int8, " \
	"s.client, s.device_name, s.device_id, s.app_version, '', true, 0::int8, " \
	"(SELECT generation FROM keyfin_revocations) " \
	"FROM sessions s LEFT JOIN users u ON u.id = s.user_id " \
	"WHERE s.token_digest " MATCH " " \
	"UNION ALL " \
	"SELECT 2, k.id, false, '', '', true, false, " \
	"coalesce((extract(epoch from k.last_activity_at) * 1000000)::int8, 0), " \
	"k.app_name, '', '', '', coalesce(array_to_string(k.scopes, chr(10)), ''), " \
	"k.allowed_ips IS NULL OR coalesce(" ADDR "::inet <<= ANY (k.allowed_ips), false), " \
	"CASE WHEN k.expires_at IS NULL THEN 0 ELSE " \
	"greatest((extract(epoch from k.expires_at - now()) * 1000000)::int8, 1) END, " \
	"(SELECT generation FROM keyfin_revocations) " \
	"FROM api_keys k WHERE k.key_digest " MATCH " " \
	"AND (k.expires_at IS NULL OR k.expires_at > now())"

enum stmt {
	STMT_LOOKUP_TOKEN,
	STMT_LOOKUP_TOKEN2,
	STMT_GENERATION,
	STMT_KEY_LIST_VERSION,
	STMT_TOUCH_SESSION,
	STMT_TOUCH_KEY,
	STMT_SERVER_ID,
	STMT_KEY_INSERT,
	STMT_KEY_LIST,
	STMT_KEY_DELETE,
	STMT_KEY_RESEAL,
	STMT_KEY_INSERT_EXT,
	STMT_KEY_INFO,
	STMT_KEY_UPDATE,
	STMT_KEY_ROLL,
	STMT_KEY_DELETE_ID,
	STMT_KEY_SWEEP,
	STMT_USER_BY_NAME,
	STMT_USER_BY_ID,
	STMT_USER_LIST,
	STMT_USER_INSERT,
	STMT_USER_DELETE,
	STMT_USER_SET_POLICY,
	STMT_USER_SET_PASSWORD,
	STMT_COUNT_ADMINS,
	STMT_SESSION_CREATE,
	STMT_SESSION_DELETE,
	STMT_SESSION_REVOKE_USER,
	STMT_LOGIN_FAILED,
	STMT_USER_UNLOCK,
	STMT_AUDIT_ADD,
	STMT_AUDIT_LIST,
	STMT_COUNT
};

struct stmt_def {
	const char *name;
	int nparams;
	bool retry;     /* safe to send again after a broken connection */
	const char *sql;
};

static const struct stmt_def stmts[STMT_COUNT] = {
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
	/* has anything been revoked (sql/0004_revocations.sql)? */
	[STMT_GENERATION] = { "generation", 0, true,
		"SELECT generation FROM keyfin_revocations" },
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
	[STMT_KEY_INSERT] = { "key_insert", 8, false,
		"WITH k AS (INSERT INTO api_keys (app_name, key_digest, key_sealed, key_prefix) "
		"VALUES ($1, $2, $3, $4) RETURNING id, created_at), "
		"a AS (" AUDIT_INSERT "SELECT 'key.create', $5, $6::uuid, $7, $8, "
		"'key ' || k.id || ' (' || $4 || '...) for ' || $1 FROM k) "
		"SELECT id, (extract(epoch from created_at) * 1000000)::int8 FROM k" },
	/* One page of keys after id $1 (keyset paging: each key once, however
	 * the table changes between pages); binary results (see store_send):
	 * the box and digest as bytes, no hex to make and undo. */
	[STMT_KEY_LIST] = { "key_list", 2, true,
		"SELECT id, app_name, key_sealed, created_at, last_activity_at, "
		"key_digest, key_prefix, (SELECT key_list_version FROM keyfin_revocations) "
		"FROM api_keys WHERE id > $1::int8 ORDER BY id LIMIT $2::int" },
	[STMT_KEY_LIST_VERSION] = { "key_list_version", 0, true,
		"SELECT key_list_version FROM keyfin_revocations" },
	[STMT_KEY_DELETE] = { "key_delete", 7, true,
		"WITH d AS (DELETE FROM api_keys WHERE key_digest IN ($1, $2) "
		"RETURNING id, app_name) "
		AUDIT_INSERT "SELECT 'key.revoke', $4, $5::uuid, $6, $7, "
		"'key ' || d.id || ' (' || $3 || '...) of ' || d.app_name FROM d" },
	/* $9 expires_at (text), $10 ttl seconds, $11 scopes, $12 allowed_ips
	 * (array literals), $13 note */
	[STMT_KEY_INSERT_EXT] = { "key_insert_ext", 13, false,
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
		"old AS (UPDATE api_keys SET expires_at = least(coalesce(prev.expires_at, "
		"'infinity'), now() + $2::int * interval '1 second') FROM prev "
		"WHERE api_keys.id = prev.id), "
		"k AS (INSERT INTO api_keys (app_name, key_digest, key_sealed, key_prefix, expires_at, "
		"scopes, allowed_ips, note) SELECT app_name, $3, $4, $5, expires_at, scopes, "
		"allowed_ips, note "
		"FROM prev RETURNING *), "
		"a AS (" AUDIT_INSERT "SELECT 'key.roll', $6, $7::uuid, $8, $9, "
		"'key ' || prev.id || ' rolled to key ' || k.id || ' (' || $5 || '...) for ' || "
		"k.app_name FROM prev, k) "
		"SELECT " KEY_INFO_COLS " FROM k" },
	[STMT_KEY_DELETE_ID] = { "key_delete_id", 5, true,
		"WITH d AS (DELETE FROM api_keys WHERE id = $1 RETURNING id, app_name) "
		AUDIT_INSERT "SELECT 'key.revoke', $2, $3::uuid, $4, $5, "
		"'key ' || d.id || ' of ' || d.app_name FROM d RETURNING 1" },
	/* one instance at a time (the others skip: the lock is taken) */
	[STMT_KEY_SWEEP] = { "key_sweep", 1, false,
		"WITH l AS (SELECT pg_try_advisory_xact_lock(7305310614) AS got), "
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
	[STMT_AUDIT_LIST] = { "audit_list", 4, true,
		"SELECT id, (extract(epoch from at) * 1000000)::int8, event, severity, actor, "
		"coalesce(replace(actor_user_id::text, '-', ''), ''), remote_addr, client, target, "
		"count(*) OVER () FROM audit_log "
		"WHERE ($1::timestamptz IS NULL OR at >= $1::timestamptz) "
		"AND ($2::bool IS NULL OR (actor_user_id IS NOT NULL) = $2::bool) "
		"ORDER BY id DESC OFFSET $3 LIMIT $4" },
};

struct store {
	struct store_conn c;
	bool prepared;
	bool is_prepared[STMT_COUNT];   /* on this connection */
	uint64_t prepared_for;          /* the connection (c.connects) they were made on */
};

/* One query's parameters: text unless a length is given (then binary). */
#define PARAMS_MAX 16             /* the most any statement above takes */

struct params {
	const char *values[PARAMS_MAX];
	int lengths[PARAMS_MAX];
	int formats[PARAMS_MAX];
	int n;
};

static void param_text(struct params *p, const char *value)
{
	p->values[p->n] = value;
	p->lengths[p->n] = 0;
	p->formats[p->n] = 0;
	p->n++;
}

static void param_bytes(struct params *p, const unsigned char *value, size_t len)
{
	p->values[p->n] = (const char *)value;
	p->lengths[p->n] = (int)len;
	p->formats[p->n] = 1;
	p->n++;
}

struct store *store_new(const char *url, bool prepared, int timeout_ms,
			char *err, size_t err_len)
{
	struct store *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if (store_conn_init(&s->c, url, timeout_ms, err, err_len) != 0) {
		free(s);
		return NULL;
	}
	s->prepared = prepared;
	return s;
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	store_conn_close(&s->c);
	free(s);
}

void store_begin(struct store *s)
{
	store_conn_begin(&s->c);
}

uint64_t store_connects(const struct store *s)
{
	return s->c.connects;
}

enum store_status store_ready(struct store *s)
{
	enum store_status st = store_conn_ready(&s->c);

	if (st == STORE_OK && s->prepared_for != s->c.connects) {
		/* statements are prepared on first use on each connection, so a
		 * fresh one (after a restart, a failover, or a pooler that lost
		 * them) prepares again by itself */
		memset(s->is_prepared, 0, sizeof(s->is_prepared));
		s->prepared_for = s->c.connects;
	}
	return st;
}

/* One round trip: the statement (prepared first if it is not yet on this
 * connection), within the budget.  NULL: no answer (*st says why). */
static PGresult *store_send(struct store *s, enum stmt id, const struct params *p,
			    enum store_status *st)
{
	const struct stmt_def *d = &stmts[id];
	int binary = id == STMT_KEY_LIST;       /* results in binary, the rest text */
	PGconn *pg = s->c.pg;
	int sent;

	if (!store_conn_trip(&s->c)) {
		*st = STORE_UNAVAILABLE;
		return NULL;
	}
	if (s->prepared && !s->is_prepared[id]) {
		PGresult *res;

		if (!PQsendPrepare(pg, d->name, d->sql, d->nparams, NULL)) {
			store_conn_drop(&s->c, true);
			*st = STORE_UNAVAILABLE;
			return NULL;
		}
		res = store_conn_result(&s->c, st);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
			return res;
		PQclear(res);
		s->is_prepared[id] = true;
	}
	if (s->prepared)
		sent = PQsendQueryPrepared(pg, d->name, p->n, p->values, p->lengths,
					   p->formats, binary);
	else
		sent = PQsendQueryParams(pg, d->sql, p->n, NULL, p->values, p->lengths,
					 p->formats, binary);
	if (!sent) {
		store_conn_drop(&s->c, true);
		*st = STORE_UNAVAILABLE;
		return NULL;
	}
	return store_conn_result(&s->c, st);
}

/* SQLSTATEs after which the connection is no use: connection trouble (08),
 * a server shutting down or starting (57P01-57P03), a server that turned
 * read-only (25006: a demoted primary, or a standby), or a pooler that mixes
 * up prepared statements between its server connections (26000, 42P05: use
 * KEYFIN_DB_PREPARED=off there).  Start over on a new one, which
 * target_session_attrs=read-write takes to the primary. */
static bool state_drops(const char *state)
{
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	       strcmp(state, "25006") == 0 || strcmp(state, "26000") == 0 ||
	       strcmp(state, "42P05") == 0;
}

/* SQLSTATEs that say "not now" on a good connection: a cancelled statement
 * (57014), lack of resources (53: too many connections, out of memory or
 * disk), a serialization failure or deadlock (40), a lock not available
 * (55P03), an I/O error (58).  503, never 500. */
static bool state_unavailable(const char *state)
{
	return strcmp(state, "57014") == 0 || strncmp(state, "53", 2) == 0 ||
	       strncmp(state, "40", 2) == 0 || strcmp(state, "55P03") == 0 ||
	       strncmp(state, "58", 2) == 0;
}

/*
 * Run a statement.  Returns the result (caller PQclear()s it) with *st ==
 * STORE_OK, or NULL with *st saying why.  A statement marked `retry` that
 * fails on a connection found dead is sent once more on a new one.
 */
static PGresult *store_exec(struct store *s, enum stmt id, const struct params *p,
			    enum store_status *st)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		PGresult *res;
		ExecStatusType rs;
		const char *state;

		*st = store_ready(s);
		if (*st != STORE_OK) {
			metrics_db_error();
			return NULL;
		}
		res = store_send(s, id, p, st);
		if (res == NULL) {
			metrics_db_error();
			/* lost at once (a restart): once more on a new connection;
			 * timed out: no, the time is spent */
			if (s->c.pg == NULL && s->c.last_attempt_ms == 0 && stmts[id].retry &&
			    attempt == 0)
				continue;
			return NULL;
		}
		rs = PQresultStatus(res);
		if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
			return res;
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state == NULL)
			state = PQstatus(s->c.pg) == CONNECTION_OK ? "XX000" : "08000";
		if (strcmp(state, "23505") != 0)
			metrics_db_error();
		if (strcmp(state, "23505") == 0) {
			*st = STORE_CONFLICT;
		} else if (strncmp(state, "22", 2) == 0) {
			/* data exception: a value from the request PostgreSQL refused */
			*st = STORE_INVALID;
		} else if (state_drops(state) || PQstatus(s->c.pg) != CONNECTION_OK) {
			log_msg(LOG_WARN, "db_lost", "%s: connection given up (SQLSTATE %s)",
				stmts[id].name, state);
			store_conn_drop(&s->c, true);
			*st = STORE_UNAVAILABLE;
			PQclear(res);
			if (stmts[id].retry && attempt == 0)
				continue;
			return NULL;
		} else if (state_unavailable(state)) {
			log_msg(LOG_WARN, "db_busy", "%s: PostgreSQL says not now (SQLSTATE %s)",
				stmts[id].name, state);
			*st = STORE_UNAVAILABLE;
		} else {
			log_msg(LOG_ERROR, "db_error", "%s failed: %s", stmts[id].name,
				PQresultErrorMessage(res));
			*st = STORE_ERROR;
		}
		PQclear(res);
		return NULL;
	}
	return NULL;
}

/* A text field, cut to fit (a key list copies two a key: no printf). */
static void copy_field(char *dst, size_t dst_len, const PGresult *res, int row, int col)
{
	size_t n = (size_t)PQgetlength(res, row, col);

	if (n >= dst_len)
		n = dst_len - 1;
	memcpy(dst, PQgetvalue(res, row, col), n);
	dst[n] = '\0';
}

static bool bool_field(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

static int64_t int_field(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void user_from_row(const PGresult *res, int row, struct store_user *u)
{
	copy_field(u->id, sizeof(u->id), res, row, 0);
	copy_field(u->name, sizeof(u->name), res, row, 1);
	copy_field(u->password_hash, sizeof(u->password_hash), res, row, 2);
	u->is_admin = bool_field(res, row, 3);
	u->is_disabled = bool_field(res, row, 4);
	u->is_hidden = bool_field(res, row, 5);
	u->last_login_us = int_field(res, row, 6);
	u->last_activity_us = int_field(res, row, 7);
	u->failed_logins = (int)int_field(res, row, 8);
	u->locked = bool_field(res, row, 9);
}

/* Run a statement that changes rows; NOT_FOUND when it changed none. */
static enum store_status store_change(struct store *s, enum stmt id,
				      const struct params *p, bool need_row)
{
	enum store_status st;
	PGresult *res = store_exec(s, id, p, &st);

	if (res == NULL)
		return st;
	if (need_row && strcmp(PQcmdTuples(res), "0") == 0)
		st = STORE_NOT_FOUND;
	PQclear(res);
	return st;
}

static enum store_status store_one_user(struct store *s, enum stmt id,
					const struct params *p, struct store_user *out)
{
	enum store_status st;
	PGresult *res = store_exec(s, id, p, &st);

	if (res == NULL)
		return st;
	if (PQntuples(res) == 0) {
		st = STORE_NOT_FOUND;
	} else {
		user_from_row(res, 0, out);
		st = STORE_OK;
	}
	PQclear(res);
	return st;
}

enum store_status store_migrate(struct store *s, int *applied)
{
	enum store_status st = store_ready(s);
	PGresult *res = NULL;
	PGconn *pg;
	int have = 0;

	*applied = 0;
	if (st != STORE_OK)
		return st;
	/* Blocking, without the deadline: a migration may wait its turn on the
	 * lock and take long on a big table, both fine at start-up.  The
	 * connection's keepalives and tcp_user_timeout still end it if the
	 * server vanishes. */
	pg = s->c.pg;
	PQsetnonblocking(pg, 0);
	/* One transaction and a transaction-level lock: works through poolers
	 * in transaction mode, and a crash leaves nothing half applied. */
	res = PQexec(pg, "BEGIN; SELECT pg_advisory_xact_lock(7305310613); "
		     "CREATE TABLE IF NOT EXISTS keyfin_migrations ("
		     "version int PRIMARY KEY, name text NOT NULL, "
		     "applied_at timestamptz NOT NULL DEFAULT now())");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto failed;
	PQclear(res);
	res = PQexec(pg, "SELECT coalesce(max(version), 0) FROM keyfin_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto failed;
	have = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	for (size_t i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		char version[16];
		const char *values[2] = { version, m->name };

		if (m->version <= have)
			continue;
		res = PQexec(pg, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)
			goto failed;
		PQclear(res);
		snprintf(version, sizeof(version), "%d", m->version);
		res = PQexecParams(pg, "INSERT INTO keyfin_migrations (version, name) "
				   "VALUES ($1, $2)", 2, NULL, values, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto failed;
		PQclear(res);
		res = NULL;
		log_msg(LOG_INFO, "migrate", "applied %s", m->name);
		(*applied)++;
	}
	res = PQexec(pg, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto failed;
	PQclear(res);
	PQsetnonblocking(pg, 1);
	return STORE_OK;

failed:
	log_msg(LOG_ERROR, "migrate", "migration failed: %s",
		res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
	PQclear(res);
	*applied = 0;
	st = PQstatus(pg) == CONNECTION_OK ? STORE_ERROR : STORE_UNAVAILABLE;
	store_conn_drop(&s->c, true);   /* rolls back whatever was begun */
	return st;
}

enum store_status store_server_id(struct store *s, char out[STORE_ID_LEN + 1])
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res = store_exec(s, STMT_SERVER_ID, &p, &st);

	if (res == NULL)
		return st;
	if (PQntuples(res) != 1) {
		PQclear(res);
		log_msg(LOG_ERROR, "db_error", "keyfin_server is empty: run `keyfin migrate`");
		return STORE_ERROR;
	}
	copy_field(out, STORE_ID_LEN + 1, res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_lookup_token(struct store *s,
				     const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				     int count, const char *remote_addr,
				     struct store_principal *out, int64_t *generation)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;
	int i;

	param_bytes(&p, digests[0], TOKEN_DIGEST_LEN);
	if (count > 1)
		param_bytes(&p, digests[1], TOKEN_DIGEST_LEN);
	param_text(&p, remote_addr);    /* NULL: unknown, allowed_ips then refuse */
	res = store_exec(s, count > 1 ? STMT_LOOKUP_TOKEN2 : STMT_LOOKUP_TOKEN, &p, &st);
	if (res == NULL)
		return st;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOT_FOUND;
	}
	/* a session before a key (kind 1 before 2), as Jellyfin looks */
	i = PQntuples(res) > 1 && int_field(res, 1, 0) < int_field(res, 0, 0) ? 1 : 0;
	out->kind = (enum store_principal_kind)int_field(res, i, 0);
	out->id = int_field(res, i, 1);
	out->user_missing = bool_field(res, i, 2);
	copy_field(out->user_id, sizeof(out->user_id), res, i, 3);
	copy_field(out->user_name, sizeof(out->user_name), res, i, 4);
	out->is_admin = bool_field(res, i, 5);
	out->is_disabled = bool_field(res, i, 6);
	out->last_activity_us = int_field(res, i, 7);
	copy_field(out->client, sizeof(out->client), res, i, 8);
	copy_field(out->device_name, sizeof(out->device_name), res, i, 9);
	copy_field(out->device_id, sizeof(out->device_id), res, i, 10);
	copy_field(out->app_version, sizeof(out->app_version), res, i, 11);
	copy_field(out->scopes, sizeof(out->scopes), res, i, 12);
	out->address_allowed = bool_field(res, i, 13);
	out->expires_in_us = int_field(res, i, 14);
	*generation = int_field(res, i, 15);
	PQclear(res);
	return STORE_OK;
}

/* A statement without parameters that answers one number. */
static enum store_status store_counter(struct store *s, enum stmt id, int64_t *out)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res = store_exec(s, id, &p, &st);

	if (res == NULL)
		return st;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return STORE_ERROR;
	}
	*out = int_field(res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_generation(struct store *s, int64_t *generation)
{
	return store_counter(s, STMT_GENERATION, generation);
}

enum store_status store_ping(struct store *s)
{
	int64_t generation;

	return store_generation(s, &generation);
}

enum store_status store_touch(struct store *s, enum store_principal_kind kind,
			      int64_t id, int interval, const char *remote_addr)
{
	struct params p = { .n = 0 };
	char idbuf[24], ivbuf[16];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	snprintf(ivbuf, sizeof(ivbuf), "%d", interval);
	param_text(&p, idbuf);
	param_text(&p, ivbuf);
	if (kind == STORE_PRINCIPAL_KEY)
		param_text(&p, remote_addr);
	return store_change(s, kind == STORE_PRINCIPAL_KEY ? STMT_TOUCH_KEY
			    : STMT_TOUCH_SESSION, &p, false);
}

static void param_actor(struct params *p, const struct store_actor *by)
{
	param_text(p, by->name);
	param_text(p, by->user_id);     /* NULL: SQL NULL */
	param_text(p, by->remote_addr);
	param_text(p, by->client);
}

enum store_status store_key_insert(struct store *s, const char *app_name,
				   const unsigned char digest[TOKEN_DIGEST_LEN],
				   const unsigned char sealed[TOKEN_SEALED_LEN],
				   const char *prefix, const struct store_actor *by,
				   int64_t *created_us)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;

	param_text(&p, app_name);
	param_bytes(&p, digest, TOKEN_DIGEST_LEN);
	param_bytes(&p, sealed, TOKEN_SEALED_LEN);
	param_text(&p, prefix);
	param_actor(&p, by);
	res = store_exec(s, STMT_KEY_INSERT, &p, &st);
	if (res == NULL)
		return st;
	*created_us = PQntuples(res) == 1 ? int_field(res, 0, 1) : 0;
	PQclear(res);
	return STORE_OK;
}

/* A big-endian int8 of a binary result. */
static int64_t int8_binary(const PGresult *res, int row, int col)
{
	const unsigned char *v = (const unsigned char *)PQgetvalue(res, row, col);
	uint64_t n = 0;

	if (PQgetlength(res, row, col) != 8)
		return 0;
	for (int i = 0; i < 8; i++)
		n = n << 8 | v[i];
	return (int64_t)n;
}

/* A binary timestamptz (microseconds since 2000-01-01) as microseconds
 * since 1970; NULL and infinities are 0 ("never").  extract(epoch ...) would cost
 * PostgreSQL numeric arithmetic for every date of a list. */
static int64_t time_binary(const PGresult *res, int row, int col)
{
	int64_t t;

	if (PQgetisnull(res, row, col))
		return 0;
	t = int8_binary(res, row, col);
	if (t == INT64_MAX || t == INT64_MIN)   /* 'infinity', '-infinity' */
		return 0;
	return t + 946684800000000LL;
}

/* Bytes of a binary result into `dst` (`len` of them exactly), else 0. */
static size_t bytes_binary(unsigned char *dst, size_t len, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col) || (size_t)PQgetlength(res, row, col) != len)
		return 0;
	memcpy(dst, PQgetvalue(res, row, col), len);
	return len;
}

static void key_from_row(const PGresult *res, int i, struct store_key *key)
{
	key->id = int8_binary(res, i, 0);
	copy_field(key->app_name, sizeof(key->app_name), res, i, 1);
	key->sealed_len = bytes_binary(key->sealed, sizeof(key->sealed), res, i, 2);
	key->created_us = time_binary(res, i, 3);
	key->last_activity_us = time_binary(res, i, 4);
	if (bytes_binary(key->digest, sizeof(key->digest), res, i, 5) == 0)
		memset(key->digest, 0, sizeof(key->digest));
	copy_field(key->prefix, sizeof(key->prefix), res, i, 6);
}

enum store_status store_key_list_version(struct store *s, int64_t *version)
{
	return store_counter(s, STMT_KEY_LIST_VERSION, version);
}

enum store_status store_key_list(struct store *s,
				 int (*each)(const struct store_key *key, void *ctx),
				 void *ctx, int64_t *version)
{
	char after[24] = "0", page[16];
	struct params p = { .n = 0 };
	enum store_status st;
	int rows;

	snprintf(page, sizeof(page), "%d", STORE_KEY_PAGE);
	param_text(&p, after);
	param_text(&p, page);
	do {
		PGresult *res = store_exec(s, STMT_KEY_LIST, &p, &st);
		bool stopped = false;
		struct store_key key;

		if (res == NULL)
			return st;
		rows = PQntuples(res);
		if (version != NULL)    /* the whole list is of one snapshot if one page */
			*version = after[0] == '0' && after[1] == '\0' && rows < STORE_KEY_PAGE
				? (rows > 0 ? int8_binary(res, 0, 7) : -2) : -1;
		for (int i = 0; i < rows && !stopped; i++) {
			key_from_row(res, i, &key);
			stopped = each(&key, ctx) != 0;
		}
		if (rows > 0)
			snprintf(after, sizeof(after), "%" PRId64, key.id);
		PQclear(res);
		if (stopped)
			break;
		store_conn_more(&s->c);
	} while (rows == STORE_KEY_PAGE);
	return STORE_OK;
}

enum store_status store_key_delete(struct store *s,
				   const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				   const char *prefix, const struct store_actor *by)
{
	struct params p = { .n = 0 };

	param_bytes(&p, digests[0], TOKEN_DIGEST_LEN);
	param_bytes(&p, digests[1], TOKEN_DIGEST_LEN);
	param_text(&p, prefix);
	param_actor(&p, by);
	return store_change(s, STMT_KEY_DELETE, &p, false);
}

enum store_status store_user_by_name(struct store *s, const char *name,
				     struct store_user *out)
{
	struct params p = { .n = 0 };

	param_text(&p, name);
	return store_one_user(s, STMT_USER_BY_NAME, &p, out);
}

enum store_status store_user_by_id(struct store *s, const char *id,
				   struct store_user *out)
{
	struct params p = { .n = 0 };

	param_text(&p, id);
	return store_one_user(s, STMT_USER_BY_ID, &p, out);
}

enum store_status store_user_list(struct store *s,
				  int (*each)(const struct store_user *user, void *ctx),
				  void *ctx)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res = store_exec(s, STMT_USER_LIST, &p, &st);
	int rows;

	if (res == NULL)
		return st;
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		struct store_user user;

		user_from_row(res, i, &user);
		if (each(&user, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status store_user_insert(struct store *s, const char *name,
				    const char *password_hash, bool is_admin,
				    struct store_user *out)
{
	struct params p = { .n = 0 };

	param_text(&p, name);
	param_text(&p, password_hash);
	param_text(&p, is_admin ? "true" : "false");
	return store_one_user(s, STMT_USER_INSERT, &p, out);
}

enum store_status store_user_delete(struct store *s, const char *id)
{
	struct params p = { .n = 0 };

	param_text(&p, id);
	return store_change(s, STMT_USER_DELETE, &p, true);
}

enum store_status store_user_set_policy(struct store *s, const char *id,
					bool is_admin, bool is_disabled, bool is_hidden)
{
	struct params p = { .n = 0 };

	param_text(&p, id);
	param_text(&p, is_admin ? "true" : "false");
	param_text(&p, is_disabled ? "true" : "false");
	param_text(&p, is_hidden ? "true" : "false");
	return store_change(s, STMT_USER_SET_POLICY, &p, true);
}

enum store_status store_user_set_password(struct store *s, const char *id,
					  const char *password_hash)
{
	struct params p = { .n = 0 };

	param_text(&p, id);
	param_text(&p, password_hash);
	return store_change(s, STMT_USER_SET_PASSWORD, &p, true);
}

enum store_status store_count_admins(struct store *s, int *count)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res = store_exec(s, STMT_COUNT_ADMINS, &p, &st);

	if (res == NULL)
		return st;
	*count = (int)int_field(res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_session_create(struct store *s,
				       const struct store_session_new *session)
{
	struct params p = { .n = 0 };

	param_text(&p, session->user_id);
	param_bytes(&p, session->digest, TOKEN_DIGEST_LEN);
	param_text(&p, session->client);
	param_text(&p, session->device_name);
	param_text(&p, session->device_id);
	param_text(&p, session->app_version);
	return store_change(s, STMT_SESSION_CREATE, &p, false);
}

enum store_status store_session_delete(struct store *s, int64_t id)
{
	struct params p = { .n = 0 };
	char idbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	param_text(&p, idbuf);
	return store_change(s, STMT_SESSION_DELETE, &p, false);
}

enum store_status store_session_revoke_user(struct store *s, const char *user_id,
					    int64_t keep_id)
{
	struct params p = { .n = 0 };
	char idbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, keep_id);
	param_text(&p, user_id);
	param_text(&p, idbuf);
	return store_change(s, STMT_SESSION_REVOKE_USER, &p, false);
}

enum store_status store_login_failed(struct store *s, const char *user_id,
				     int max_attempts, int lock_seconds, bool *locked)
{
	struct params p = { .n = 0 };
	char max[16], secs[16];
	enum store_status st;
	PGresult *res;

	snprintf(max, sizeof(max), "%d", max_attempts);
	snprintf(secs, sizeof(secs), "%d", lock_seconds);
	param_text(&p, user_id);
	param_text(&p, max);
	param_text(&p, secs);
	*locked = false;
	res = store_exec(s, STMT_LOGIN_FAILED, &p, &st);
	if (res == NULL)
		return st;
	*locked = PQntuples(res) == 1 && bool_field(res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_user_unlock(struct store *s, const char *id)
{
	struct params p = { .n = 0 };

	param_text(&p, id);
	return store_change(s, STMT_USER_UNLOCK, &p, true);
}

enum store_status store_audit_add(struct store *s, const char *event, const char *severity,
				  const struct store_actor *by, const char *target)
{
	struct params p = { .n = 0 };

	param_text(&p, event);
	param_text(&p, severity);
	param_actor(&p, by);
	param_text(&p, target);
	return store_change(s, STMT_AUDIT_ADD, &p, false);
}

enum store_status store_audit_list(struct store *s, const struct store_audit_query *q,
				   int (*each)(const struct store_audit_entry *e, void *ctx),
				   void *ctx)
{
	struct params p = { .n = 0 };
	char start[24], limit[24];
	enum store_status st;
	PGresult *res;
	int rows;

	snprintf(start, sizeof(start), "%" PRId64, q->start);
	snprintf(limit, sizeof(limit), "%" PRId64, q->limit);
	param_text(&p, q->min_date);
	param_text(&p, q->has_user < 0 ? NULL : q->has_user ? "true" : "false");
	param_text(&p, start);
	param_text(&p, limit);
	res = store_exec(s, STMT_AUDIT_LIST, &p, &st);
	if (res == NULL)
		return st;
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		struct store_audit_entry e;

		e.id = int_field(res, i, 0);
		e.at_us = int_field(res, i, 1);
		copy_field(e.event, sizeof(e.event), res, i, 2);
		copy_field(e.severity, sizeof(e.severity), res, i, 3);
		copy_field(e.actor, sizeof(e.actor), res, i, 4);
		copy_field(e.actor_user_id, sizeof(e.actor_user_id), res, i, 5);
		copy_field(e.remote_addr, sizeof(e.remote_addr), res, i, 6);
		copy_field(e.client, sizeof(e.client), res, i, 7);
		copy_field(e.target, sizeof(e.target), res, i, 8);
		e.total = int_field(res, i, 9);
		if (each(&e, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

enum store_status store_key_reseal(struct store *s, int64_t id,
				   const unsigned char old_digest[TOKEN_DIGEST_LEN],
				   const unsigned char digest[TOKEN_DIGEST_LEN],
				   const unsigned char sealed[TOKEN_SEALED_LEN])
{
	struct params p = { .n = 0 };
	char idbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	param_text(&p, idbuf);
	param_bytes(&p, digest, TOKEN_DIGEST_LEN);
	param_bytes(&p, sealed, TOKEN_SEALED_LEN);
	param_bytes(&p, old_digest, TOKEN_DIGEST_LEN);
	return store_change(s, STMT_KEY_RESEAL, &p, true);
}

static void info_from_row(const PGresult *res, int row, struct store_key_info *k)
{
	const char *hex = PQgetvalue(res, row, 2);

	k->id = int_field(res, row, 0);
	copy_field(k->app_name, sizeof(k->app_name), res, row, 1);
	if (sodium_hex2bin(k->sealed, sizeof(k->sealed), hex, strlen(hex), NULL,
			   &k->sealed_len, NULL) != 0)
		k->sealed_len = 0;
	k->created_us = int_field(res, row, 3);
	k->last_activity_us = int_field(res, row, 4);
	copy_field(k->last_address, sizeof(k->last_address), res, row, 5);
	k->expires_us = int_field(res, row, 6);
	copy_field(k->scopes, sizeof(k->scopes), res, row, 7);
	copy_field(k->allowed_ips, sizeof(k->allowed_ips), res, row, 8);
	copy_field(k->note, sizeof(k->note), res, row, 9);
	copy_field(k->prefix, sizeof(k->prefix), res, row, 10);
}

/* Run a statement returning key details; each row to `each`. */
static enum store_status key_infos(struct store *s, enum stmt id, const struct params *p,
				   int (*each)(const struct store_key_info *k, void *ctx), void *ctx)
{
	enum store_status st;
	PGresult *res = store_exec(s, id, p, &st);
	int rows;

	if (res == NULL)
		return st;
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		struct store_key_info k;

		info_from_row(res, i, &k);
		if (each(&k, ctx) != 0)
			break;
	}
	PQclear(res);
	return rows == 0 ? STORE_NOT_FOUND : STORE_OK;
}

static int copy_info(const struct store_key_info *k, void *ctx)
{
	*(struct store_key_info *)ctx = *k;
	return 1;
}

static void param_options(struct params *p, const struct store_key_options *o)
{
	param_text(p, o->expires_at);
	param_text(p, o->ttl);
	param_text(p, o->scopes);
	param_text(p, o->allowed_ips);
	param_text(p, o->note);
}

enum store_status store_key_insert_ext(struct store *s, const char *app_name,
				       const unsigned char digest[TOKEN_DIGEST_LEN],
				       const unsigned char sealed[TOKEN_SEALED_LEN],
				       const char *prefix, const struct store_actor *by,
				       const struct store_key_options *o, struct store_key_info *out)
{
	struct params p = { .n = 0 };

	param_text(&p, app_name);
	param_bytes(&p, digest, TOKEN_DIGEST_LEN);
	param_bytes(&p, sealed, TOKEN_SEALED_LEN);
	param_text(&p, prefix);
	param_actor(&p, by);
	param_options(&p, o);
	return key_infos(s, STMT_KEY_INSERT_EXT, &p, copy_info, out);
}

enum store_status store_key_info(struct store *s, int64_t id,
				 int (*each)(const struct store_key_info *k, void *ctx), void *ctx)
{
	struct params p = { .n = 0 };
	char idbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	param_text(&p, id > 0 ? idbuf : NULL);
	return key_infos(s, STMT_KEY_INFO, &p, each, ctx);
}

enum store_status store_key_update(struct store *s, int64_t id,
				   const struct store_key_options *o, struct store_key_info *out)
{
	struct params p = { .n = 0 };
	char idbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	param_text(&p, idbuf);
	param_text(&p, o->set_expires ? "true" : "false");
	param_text(&p, o->expires_at);
	param_text(&p, o->ttl);
	param_text(&p, o->set_scopes ? "true" : "false");
	param_text(&p, o->scopes);
	param_text(&p, o->set_allowed_ips ? "true" : "false");
	param_text(&p, o->allowed_ips);
	param_text(&p, o->set_note ? "true" : "false");
	param_text(&p, o->note);
	return key_infos(s, STMT_KEY_UPDATE, &p, copy_info, out);
}

enum store_status store_key_roll(struct store *s, int64_t id, int grace,
				 const unsigned char digest[TOKEN_DIGEST_LEN],
				 const unsigned char sealed[TOKEN_SEALED_LEN],
				 const char *prefix, const struct store_actor *by,
				 struct store_key_info *out)
{
	struct params p = { .n = 0 };
	char idbuf[24], gracebuf[16];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	snprintf(gracebuf, sizeof(gracebuf), "%d", grace);
	param_text(&p, idbuf);
	param_text(&p, gracebuf);
	param_bytes(&p, digest, TOKEN_DIGEST_LEN);
	param_bytes(&p, sealed, TOKEN_SEALED_LEN);
	param_text(&p, prefix);
	param_actor(&p, by);
	return key_infos(s, STMT_KEY_ROLL, &p, copy_info, out);
}

enum store_status store_key_delete_id(struct store *s, int64_t id, const struct store_actor *by)
{
	struct params p = { .n = 0 };
	char idbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	param_text(&p, idbuf);
	param_actor(&p, by);
	return store_change(s, STMT_KEY_DELETE_ID, &p, true);
}

enum store_status store_key_sweep(struct store *s, int days, int *revoked)
{
	struct params p = { .n = 0 };
	char daysbuf[16];
	enum store_status st;
	PGresult *res;

	snprintf(daysbuf, sizeof(daysbuf), "%d", days);
	param_text(&p, daysbuf);
	*revoked = 0;
	res = store_exec(s, STMT_KEY_SWEEP, &p, &st);
	if (res == NULL)
		return st;
	*revoked = atoi(PQcmdTuples(res));
	PQclear(res);
	return STORE_OK;
}
