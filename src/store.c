#include "keyfin/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "store_int.h"

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
	const struct stmt_def *d = &store_stmts[id];
	int binary = d->binary ? 1 : 0;
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
PGresult *store_exec(struct store *s, enum stmt id, const struct params *p,
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
			if (s->c.pg == NULL && s->c.last_attempt_ms == 0 && store_stmts[id].retry &&
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
		if (strcmp(state, "23505") == 0 || strcmp(state, "KF001") == 0) {
			/* a unique key, or sql/0011_last_admin.sql, said no */
			*st = STORE_CONFLICT;
		} else if (strncmp(state, "22", 2) == 0) {
			/* data exception: a value from the request PostgreSQL refused */
			*st = STORE_INVALID;
		} else if (state_drops(state) || PQstatus(s->c.pg) != CONNECTION_OK) {
			log_msg(LOG_WARN, "db_lost", "%s: connection given up (SQLSTATE %s)",
				store_stmts[id].name, state);
			store_conn_drop(&s->c, true);
			*st = STORE_UNAVAILABLE;
			PQclear(res);
			if (store_stmts[id].retry && attempt == 0)
				continue;
			return NULL;
		} else if (state_unavailable(state)) {
			log_msg(LOG_WARN, "db_busy", "%s: PostgreSQL says not now (SQLSTATE %s)",
				store_stmts[id].name, state);
			*st = STORE_UNAVAILABLE;
		} else {
			log_msg(LOG_ERROR, "db_error", "%s failed: %s", store_stmts[id].name,
				PQresultErrorMessage(res));
			*st = STORE_ERROR;
		}
		PQclear(res);
		return NULL;
	}
	return NULL;
}

/* Run a statement that changes rows; NOT_FOUND when it changed none. */
enum store_status store_change(struct store *s, enum stmt id,
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

enum store_status store_rows(struct store *s, enum stmt id, const struct params *p,
			     int (*row)(const PGresult *res, int i, void *ctx), void *ctx)
{
	enum store_status st;
	PGresult *res = store_exec(s, id, p, &st);
	int rows;

	if (res == NULL)
		return st;
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++)
		if (row(res, i, ctx) != 0)
			break;
	PQclear(res);
	return rows == 0 ? STORE_NOT_FOUND : STORE_OK;
}

PGresult *store_one_row(struct store *s, enum stmt id, const struct params *p,
			enum store_status *st)
{
	PGresult *res = store_exec(s, id, p, st);

	if (res != NULL && PQntuples(res) != 1) {
		*st = PQntuples(res) == 0 ? STORE_NOT_FOUND : STORE_ERROR;
		PQclear(res);
		return NULL;
	}
	return res;
}

/* A statement without parameters that answers one number. */
enum store_status store_counter2(struct store *s, enum stmt id, int64_t *out, int *second)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res = store_one_row(s, id, &p, &st);

	if (res == NULL)
		return st == STORE_NOT_FOUND ? STORE_ERROR : st;
	*out = store_col_int(res, 0, 0);
	if (second != NULL)
		*second = (int)store_col_int(res, 0, 1);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_counter(struct store *s, enum stmt id, int64_t *out)
{
	return store_counter2(s, id, out, NULL);
}

/* A text field, cut to fit (a key list copies two a key: no printf). */
void store_col_text(char *dst, size_t dst_len, const PGresult *res, int row, int col)
{
	size_t n = (size_t)PQgetlength(res, row, col);

	if (n >= dst_len)
		n = dst_len - 1;
	memcpy(dst, PQgetvalue(res, row, col), n);
	dst[n] = '\0';
}

bool store_col_bool(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

int64_t store_col_int(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* A big-endian int8 of a binary result. */
int64_t store_col_int8(const PGresult *res, int row, int col)
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
int64_t store_col_time(const PGresult *res, int row, int col)
{
	int64_t t;

	if (PQgetisnull(res, row, col))
		return 0;
	t = store_col_int8(res, row, col);
	if (t == INT64_MAX || t == INT64_MIN)   /* 'infinity', '-infinity' */
		return 0;
	return t + 946684800000000LL;
}

/* Bytes of a binary result into `dst` (`len` of them exactly), else 0. */
size_t store_col_bytes(unsigned char *dst, size_t len, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col) || (size_t)PQgetlength(res, row, col) != len)
		return 0;
	memcpy(dst, PQgetvalue(res, row, col), len);
	return len;
}

enum store_status store_server_id(struct store *s, char out[STORE_ID_LEN + 1])
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res = store_one_row(s, STMT_SERVER_ID, &p, &st);

	if (res == NULL) {
		if (st != STORE_NOT_FOUND)
			return st;
		log_msg(LOG_ERROR, "db_error", "keyfin_server is empty: run `keyfin migrate`");
		return STORE_ERROR;
	}
	store_col_text(out, STORE_ID_LEN + 1, res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_secret_check(struct store *s, const unsigned char *claim, size_t len,
				    unsigned char *out, size_t *out_len)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;

	if (claim != NULL)
		param_bytes(&p, claim, len);
	res = store_one_row(s, claim != NULL ? STMT_SECRET_CHECK_CLAIM : STMT_SECRET_CHECK_GET,
			    &p, &st);
	if (res == NULL)
		return st == STORE_NOT_FOUND ? STORE_ERROR : st;
	*out_len = PQgetisnull(res, 0, 0) ? 0 : store_col_bytes(out, len, res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_secret_check_set(struct store *s, const unsigned char *check, size_t len)
{
	struct params p = { .n = 0 };

	param_bytes(&p, check, len);
	return store_change(s, STMT_SECRET_CHECK_SET, &p, false);
}

enum store_status store_generation(struct store *s, int64_t *generation, int *window_ms)
{
	return store_counter2(s, STMT_GENERATION, generation, window_ms);
}

enum store_status store_ping(struct store *s)
{
	int64_t generation;

	return store_generation(s, &generation, NULL);
}

enum store_status store_hold_ms(struct store *s, int *hold_ms)
{
	int64_t ms;
	enum store_status st = store_counter(s, STMT_HOLD_MS, &ms);

	if (st == STORE_OK)
		*hold_ms = (int)ms;
	return st;
}

enum store_status store_auth_cache_get(struct store *s, int *window_ms, int *previous_ms)
{
	int64_t ms;
	enum store_status st = store_counter2(s, STMT_AUTH_CACHE_GET, &ms, previous_ms);

	if (st == STORE_OK)
		*window_ms = (int)ms;
	return st;
}

enum store_status store_auth_cache_set(struct store *s, int window_ms, int *was_ms,
				       int *previous_ms)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;

	param_int(&p, window_ms);
	res = store_one_row(s, STMT_AUTH_CACHE_SET, &p, &st);
	if (res == NULL)
		return st == STORE_NOT_FOUND ? STORE_ERROR : st;
	*was_ms = (int)store_col_int(res, 0, 0);
	*previous_ms = (int)store_col_int(res, 0, 1);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_auth_cache_settled(struct store *s, int window_ms, int previous_ms)
{
	struct params p = { .n = 0 };

	param_int(&p, window_ms);
	param_int(&p, previous_ms);
	return store_change(s, STMT_AUTH_CACHE_SETTLED, &p, false);
}
