/*
 * The store's private header: what its files share (src/store*.c, and only
 * they include libpq).  store.c runs statements (store_exec), store_sql.c
 * holds every statement, and one file per concern uses them: store_keys.c,
 * store_users.c (users and sessions), store_audit.c, store_migrate.c.
 */
#ifndef KEYFIN_STORE_INT_H
#define KEYFIN_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "keyfin/store.h"
#include "store_conn.h"

/* Advisory locks keyfin takes (pg_advisory_xact_lock: released at commit). */
#define STORE_LOCK_MIGRATE 7305310613   /* one migration at a time */
#define STORE_LOCK_SWEEP 7305310614     /* one sweep of unused keys at a time */
#define STORE_STR(x) STORE_STR_(x)      /* a lock id inside SQL text */
#define STORE_STR_(x) #x

enum stmt {
	STMT_LOOKUP_TOKEN,
	STMT_LOOKUP_TOKEN2,
	STMT_GENERATION,
	STMT_HOLD_MS,
	STMT_AUTH_CACHE_GET,
	STMT_AUTH_CACHE_SET,
	STMT_AUTH_CACHE_SETTLED,
	STMT_KEY_LIST_VERSION,
	STMT_KEY_LIST_FOLD,
	STMT_TOUCH_SESSION,
	STMT_TOUCH_KEY,
	STMT_SERVER_ID,
	STMT_SECRET_CHECK_GET,
	STMT_SECRET_CHECK_CLAIM,
	STMT_SECRET_CHECK_SET,
	STMT_KEY_INSERT,
	STMT_KEY_LIST,
	STMT_KEY_DELETE,
	STMT_KEY_RESEAL,
	STMT_KEY_INFO,
	STMT_KEY_UPDATE,
	STMT_KEY_ROLL,
	STMT_KEY_DELETE_ID,
	STMT_KEY_SWEEP,
	STMT_KEY_REUSED,
	STMT_KEY_GONE,
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
	STMT_USAGE_ADD,
	STMT_USAGE_LIST,
	STMT_SESSION_LIST,
	STMT_SESSION_SIGN_OUT,
	STMT_COUNT
};

struct stmt_def {
	const char *name;
	int nparams;
	bool retry;     /* safe to send again after a broken connection */
	const char *sql;
	bool binary;    /* results in binary (else text) */
};

extern const struct stmt_def store_stmts[STMT_COUNT];

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
	char numbers[PARAMS_MAX][24];   /* the text of param_int's values */
	int n;
};

static inline void param_text(struct params *p, const char *value)
{
	p->values[p->n] = value;
	p->lengths[p->n] = 0;
	p->formats[p->n] = 0;
	p->n++;
}

static inline void param_int(struct params *p, int64_t value)
{
	snprintf(p->numbers[p->n], sizeof(p->numbers[p->n]), "%" PRId64, value);
	param_text(p, p->numbers[p->n]);
}

static inline void param_bool(struct params *p, bool value)
{
	param_text(p, value ? "true" : "false");
}

static inline void param_bytes(struct params *p, const unsigned char *value, size_t len)
{
	p->values[p->n] = (const char *)value;
	p->lengths[p->n] = (int)len;
	p->formats[p->n] = 1;
	p->n++;
}

static inline void param_actor(struct params *p, const struct store_actor *by)
{
	param_text(p, by->name);
	param_text(p, by->user_id);     /* NULL: SQL NULL */
	param_text(p, by->remote_addr);
	param_text(p, by->client);
}

/* Run statement `id`: its result (the caller PQclear()s it) with *st ==
 * STORE_OK, or NULL with *st saying why (already logged). */
PGresult *store_exec(struct store *s, enum stmt id, const struct params *p,
		     enum store_status *st);
/* A statement that changes rows; NOT_FOUND when it changed none and
 * `need_row`. */
enum store_status store_change(struct store *s, enum stmt id, const struct params *p,
			       bool need_row);
/* A statement that answers one number. */
enum store_status store_counter(struct store *s, enum stmt id, int64_t *out);
/* ... or two, the second an int (when `second` is not NULL). */
enum store_status store_counter2(struct store *s, enum stmt id, int64_t *out, int *second);
/* The row callback of a typed list: fills a TYPE from a row with FILL and
 * hands it to the caller's `each`.  NAME_each is the context to give
 * store_rows, NAME_row the callback. */
#define STORE_EACH_ROW(NAME, TYPE, FILL)                                        \
	struct NAME##_each {                                                    \
		int (*each)(const TYPE *item, void *ctx);                       \
		void *ctx;                                                      \
	};                                                                      \
	static int NAME##_row(const PGresult *res, int i, void *ctx)            \
	{                                                                       \
		struct NAME##_each *e = ctx;                                    \
		TYPE item;                                                      \
									\
		FILL(res, i, &item);                                            \
		return e->each(&item, e->ctx);                                  \
	}

/* A statement's rows, one call of `row` each, until it returns non-zero;
 * STORE_NOT_FOUND when there was none. */
enum store_status store_rows(struct store *s, enum stmt id, const struct params *p,
			     int (*row)(const PGresult *res, int i, void *ctx), void *ctx);
/* A statement that answers one row: its result, or NULL with *st
 * (STORE_NOT_FOUND for no row, STORE_ERROR for more than one). */
PGresult *store_one_row(struct store *s, enum stmt id, const struct params *p,
			enum store_status *st);

/* Columns of a row: text ones cut to fit, binary ones (statements marked
 * `binary`) decoded. */
void store_col_text(char *dst, size_t dst_len, const PGresult *res, int row, int col);
bool store_col_bool(const PGresult *res, int row, int col);
int64_t store_col_int(const PGresult *res, int row, int col);
int64_t store_col_int8(const PGresult *res, int row, int col);
int64_t store_col_time(const PGresult *res, int row, int col);
size_t store_col_bytes(unsigned char *dst, size_t len, const PGresult *res, int row, int col);

#endif
