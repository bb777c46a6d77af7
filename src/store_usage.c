/* Requests per key and hour (sql/0010_key_usage.sql), and the sessions
 * list: what the admin console reads beyond the key details. */
#include "keyfin/store.h"

#include "store_int.h"

enum store_status store_usage_add(struct store *s, const char *key_ids, const char *hours,
				  const char *requests)
{
	struct params p = { .n = 0 };

	param_text(&p, key_ids);
	param_text(&p, hours);
	param_text(&p, requests);
	return store_change(s, STMT_USAGE_ADD, &p, false);
}

static void usage_from_row(const PGresult *res, int row, struct store_usage_row *u)
{
	u->key_id = store_col_int(res, row, 0);
	u->hour_s = store_col_int(res, row, 1);
	u->requests = store_col_int(res, row, 2);
}

STORE_EACH_ROW(usage, struct store_usage_row, usage_from_row)

enum store_status store_usage_list(struct store *s, int64_t key_id, int64_t since_s,
				   int (*each)(const struct store_usage_row *row, void *ctx),
				   void *ctx)
{
	struct params p = { .n = 0 };
	struct usage_each e = { each, ctx };
	enum store_status st;

	if (key_id > 0)
		param_int(&p, key_id);
	else
		param_text(&p, NULL);
	param_int(&p, since_s);
	st = store_rows(s, STMT_USAGE_LIST, &p, usage_row, &e);
	return st == STORE_NOT_FOUND ? STORE_OK : st;
}

static void session_from_row(const PGresult *res, int row, struct store_session_info *x)
{
	x->id = store_col_int(res, row, 0);
	store_col_text(x->user_id, sizeof(x->user_id), res, row, 1);
	store_col_text(x->user_name, sizeof(x->user_name), res, row, 2);
	store_col_text(x->client, sizeof(x->client), res, row, 3);
	store_col_text(x->device_name, sizeof(x->device_name), res, row, 4);
	store_col_text(x->device_id, sizeof(x->device_id), res, row, 5);
	store_col_text(x->app_version, sizeof(x->app_version), res, row, 6);
	x->created_us = store_col_int(res, row, 7);
	x->last_activity_us = store_col_int(res, row, 8);
}

STORE_EACH_ROW(session, struct store_session_info, session_from_row)

enum store_status store_session_list(struct store *s,
				     int (*each)(const struct store_session_info *session, void *ctx),
				     void *ctx)
{
	struct params p = { .n = 0 };
	struct session_each e = { each, ctx };
	enum store_status st = store_rows(s, STMT_SESSION_LIST, &p, session_row, &e);

	return st == STORE_NOT_FOUND ? STORE_OK : st;
}

enum store_status store_session_sign_out(struct store *s, int64_t id,
					 const struct store_actor *by)
{
	struct params p = { .n = 0 };

	param_int(&p, id);
	param_actor(&p, by);
	return store_change(s, STMT_SESSION_SIGN_OUT, &p, true);
}
