/* Users, their sessions, and failed logins. */
#include "keyfin/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/log.h"
#include "store_int.h"

static void user_from_row(const PGresult *res, int row, struct store_user *u)
{
	store_col_text(u->id, sizeof(u->id), res, row, 0);
	store_col_text(u->name, sizeof(u->name), res, row, 1);
	store_col_text(u->password_hash, sizeof(u->password_hash), res, row, 2);
	u->is_admin = store_col_bool(res, row, 3);
	u->is_disabled = store_col_bool(res, row, 4);
	u->is_hidden = store_col_bool(res, row, 5);
	u->last_login_us = store_col_int(res, row, 6);
	u->last_activity_us = store_col_int(res, row, 7);
	u->failed_logins = (int)store_col_int(res, row, 8);
	u->locked = store_col_bool(res, row, 9);
}

static enum store_status store_one_user(struct store *s, enum stmt id,
					const struct params *p, struct store_user *out)
{
	enum store_status st;
	PGresult *res = store_one_row(s, id, p, &st);

	if (res == NULL)
		return st;
	user_from_row(res, 0, out);
	PQclear(res);
	return STORE_OK;
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

STORE_EACH_ROW(user, struct store_user, user_from_row)

enum store_status store_user_list(struct store *s,
				  int (*each)(const struct store_user *user, void *ctx),
				  void *ctx)
{
	struct params p = { .n = 0 };
	struct user_each u = { each, ctx };
	enum store_status st = store_rows(s, STMT_USER_LIST, &p, user_row, &u);

	return st == STORE_NOT_FOUND ? STORE_OK : st;
}

enum store_status store_user_insert(struct store *s, const char *name,
				    const char *password_hash, bool is_admin,
				    struct store_user *out)
{
	struct params p = { .n = 0 };

	param_text(&p, name);
	param_text(&p, password_hash);
	param_bool(&p, is_admin);
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
	param_bool(&p, is_admin);
	param_bool(&p, is_disabled);
	param_bool(&p, is_hidden);
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
	*count = (int)store_col_int(res, 0, 0);
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
	param_int(&p, id);
	return store_change(s, STMT_SESSION_DELETE, &p, false);
}

enum store_status store_session_revoke_user(struct store *s, const char *user_id,
					    int64_t keep_id)
{
	struct params p = { .n = 0 };
	param_text(&p, user_id);
	param_int(&p, keep_id);
	return store_change(s, STMT_SESSION_REVOKE_USER, &p, false);
}

enum store_status store_login_failed(struct store *s, const char *user_id,
				     int max_attempts, int lock_seconds, bool *locked)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;

	param_text(&p, user_id);
	param_int(&p, max_attempts);
	param_int(&p, lock_seconds);
	*locked = false;
	res = store_exec(s, STMT_LOGIN_FAILED, &p, &st);
	if (res == NULL)
		return st;
	*locked = PQntuples(res) == 1 && store_col_bool(res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_user_unlock(struct store *s, const char *id)
{
	struct params p = { .n = 0 };

	param_text(&p, id);
	return store_change(s, STMT_USER_UNLOCK, &p, true);
}
