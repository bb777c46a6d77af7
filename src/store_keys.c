/* API keys and the token lookup of every request. */
#include "keyfin/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/log.h"
#include "store_int.h"

enum store_status store_lookup_token(struct store *s,
				     const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				     int count, const char *remote_addr,
				     struct store_principal *out, int64_t *generation,
				     int *window_ms)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;
	int i;

	param_bytes(&p, digests[0], TOKEN_DIGEST_LEN);
	if (count > 1)
		param_bytes(&p, digests[1], TOKEN_DIGEST_LEN);
	param_text(&p, remote_addr);    /* NULL: unknown, allowed_ips then refuse */
	out->reused = false;
	res = store_exec(s, count > 1 ? STMT_LOOKUP_TOKEN2 : STMT_LOOKUP_TOKEN, &p, &st);
	if (res == NULL)
		return st;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOT_FOUND;
	}
	/* a session before a key (kind 1 before 2), as Jellyfin looks */
	i = PQntuples(res) > 1 && store_col_int(res, 1, 0) < store_col_int(res, 0, 0) ? 1 : 0;
	out->kind = (enum store_principal_kind)store_col_int(res, i, 0);
	out->id = store_col_int(res, i, 1);
	out->user_missing = store_col_bool(res, i, 2);
	store_col_text(out->user_id, sizeof(out->user_id), res, i, 3);
	store_col_text(out->user_name, sizeof(out->user_name), res, i, 4);
	out->is_admin = store_col_bool(res, i, 5);
	out->is_disabled = store_col_bool(res, i, 6);
	out->last_activity_us = store_col_int(res, i, 7);
	store_col_text(out->client, sizeof(out->client), res, i, 8);
	store_col_text(out->device_name, sizeof(out->device_name), res, i, 9);
	store_col_text(out->device_id, sizeof(out->device_id), res, i, 10);
	store_col_text(out->app_version, sizeof(out->app_version), res, i, 11);
	store_col_text(out->scopes, sizeof(out->scopes), res, i, 12);
	out->address_allowed = store_col_bool(res, i, 13);
	out->expires_in_us = store_col_int(res, i, 14);
	*generation = store_col_int(res, i, 15);
	/* a rolled key past its grace is no key: its id for the record */
	out->reused = store_col_bool(res, i, 16);
	*window_ms = (int)store_col_int(res, i, 17);
	PQclear(res);
	return out->reused ? STORE_NOT_FOUND : STORE_OK;
}

enum store_status store_key_gone(struct store *s,
				 const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				 int count, bool *gone)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;

	param_bytes(&p, digests[0], TOKEN_DIGEST_LEN);
	param_bytes(&p, digests[count > 1 ? 1 : 0], TOKEN_DIGEST_LEN);
	res = store_one_row(s, STMT_KEY_GONE, &p, &st);
	if (res == NULL)
		return st == STORE_NOT_FOUND ? STORE_ERROR : st;
	*gone = store_col_bool(res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

enum store_status store_touch(struct store *s, enum store_principal_kind kind,
			      int64_t id, int interval, const char *remote_addr)
{
	struct params p = { .n = 0 };
	param_int(&p, id);
	param_int(&p, interval);
	if (kind == STORE_PRINCIPAL_KEY)
		param_text(&p, remote_addr);
	return store_change(s, kind == STORE_PRINCIPAL_KEY ? STMT_TOUCH_KEY
			    : STMT_TOUCH_SESSION, &p, false);
}

static void key_from_row(const PGresult *res, int i, struct store_key *key)
{
	key->id = store_col_int8(res, i, 0);
	store_col_text(key->app_name, sizeof(key->app_name), res, i, 1);
	key->sealed_len = store_col_bytes(key->sealed, sizeof(key->sealed), res, i, 2);
	key->created_us = store_col_time(res, i, 3);
	key->last_activity_us = store_col_time(res, i, 4);
	if (store_col_bytes(key->digest, sizeof(key->digest), res, i, 5) == 0)
		memset(key->digest, 0, sizeof(key->digest));
	store_col_text(key->prefix, sizeof(key->prefix), res, i, 6);
}

enum store_status store_key_list_version(struct store *s, int64_t *version, int *window_ms)
{
	return store_counter2(s, STMT_KEY_LIST_VERSION, version, window_ms);
}

enum store_status store_key_list_fold(struct store *s, int64_t *folded)
{
	return store_counter(s, STMT_KEY_LIST_FOLD, folded);
}

enum store_status store_key_list(struct store *s,
				 int (*each)(const struct store_key *key, void *ctx),
				 void *ctx, int64_t *version)
{
	char after[24] = "0";
	struct params p = { .n = 0 };
	enum store_status st;
	int rows;

	param_text(&p, after);          /* moves on page by page */
	param_int(&p, STORE_KEY_PAGE);
	do {
		PGresult *res = store_exec(s, STMT_KEY_LIST, &p, &st);
		bool stopped = false;
		struct store_key key;

		if (res == NULL)
			return st;
		rows = PQntuples(res);
		if (version != NULL)    /* the whole list is of one snapshot if one page */
			*version = after[0] == '0' && after[1] == '\0' && rows < STORE_KEY_PAGE
				? (rows > 0 ? store_col_int8(res, 0, 7) : -2) : -1;
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

enum store_status store_key_reseal(struct store *s, int64_t id,
				   const unsigned char old_digest[TOKEN_DIGEST_LEN],
				   const unsigned char digest[TOKEN_DIGEST_LEN],
				   const unsigned char sealed[TOKEN_SEALED_LEN])
{
	struct params p = { .n = 0 };
	param_int(&p, id);
	param_bytes(&p, digest, TOKEN_DIGEST_LEN);
	param_bytes(&p, sealed, TOKEN_SEALED_LEN);
	param_bytes(&p, old_digest, TOKEN_DIGEST_LEN);
	return store_change(s, STMT_KEY_RESEAL, &p, true);
}

static void info_from_row(const PGresult *res, int row, struct store_key_info *k)
{
	const char *hex = PQgetvalue(res, row, 2);

	k->id = store_col_int(res, row, 0);
	store_col_text(k->app_name, sizeof(k->app_name), res, row, 1);
	if (sodium_hex2bin(k->sealed, sizeof(k->sealed), hex, strlen(hex), NULL,
			   &k->sealed_len, NULL) != 0)
		k->sealed_len = 0;
	k->created_us = store_col_int(res, row, 3);
	k->last_activity_us = store_col_int(res, row, 4);
	store_col_text(k->last_address, sizeof(k->last_address), res, row, 5);
	k->expires_us = store_col_int(res, row, 6);
	store_col_text(k->scopes, sizeof(k->scopes), res, row, 7);
	store_col_text(k->allowed_ips, sizeof(k->allowed_ips), res, row, 8);
	store_col_text(k->note, sizeof(k->note), res, row, 9);
	store_col_text(k->prefix, sizeof(k->prefix), res, row, 10);
	k->reused_us = store_col_int(res, row, 11);
	store_col_text(k->reused_from, sizeof(k->reused_from), res, row, 12);
}

/* Run a statement returning key details; each row to `each`. */
STORE_EACH_ROW(info, struct store_key_info, info_from_row)

static enum store_status key_infos(struct store *s, enum stmt id, const struct params *p,
				   int (*each)(const struct store_key_info *k, void *ctx), void *ctx)
{
	struct info_each e = { each, ctx };

	return store_rows(s, id, p, info_row, &e);
}

static int copy_info(const struct store_key_info *k, void *ctx)
{
	*(struct store_key_info *)ctx = *k;
	return 1;
}

static void param_options(struct params *p, const struct store_key_options *o)
{
	static const struct store_key_options none;

	if (o == NULL)
		o = &none;
	param_text(p, o->expires_at);
	param_text(p, o->ttl);
	param_text(p, o->scopes);
	param_text(p, o->allowed_ips);
	param_text(p, o->note);
}

enum store_status store_key_insert(struct store *s, const char *app_name,
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
	return key_infos(s, STMT_KEY_INSERT, &p, copy_info, out);
}

enum store_status store_key_info(struct store *s, int64_t id,
				 int (*each)(const struct store_key_info *k, void *ctx), void *ctx)
{
	struct params p = { .n = 0 };

	if (id > 0)
		param_int(&p, id);
	else
		param_text(&p, NULL);   /* every key */
	return key_infos(s, STMT_KEY_INFO, &p, each, ctx);
}

enum store_status store_key_update(struct store *s, int64_t id,
				   const struct store_key_options *o, struct store_key_info *out)
{
	struct params p = { .n = 0 };

	param_int(&p, id);
	param_bool(&p, o->set_expires);
	param_text(&p, o->expires_at);
	param_text(&p, o->ttl);
	param_bool(&p, o->set_scopes);
	param_text(&p, o->scopes);
	param_bool(&p, o->set_allowed_ips);
	param_text(&p, o->allowed_ips);
	param_bool(&p, o->set_note);
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

	param_int(&p, id);
	param_int(&p, grace);
	param_bytes(&p, digest, TOKEN_DIGEST_LEN);
	param_bytes(&p, sealed, TOKEN_SEALED_LEN);
	param_text(&p, prefix);
	param_actor(&p, by);
	return key_infos(s, STMT_KEY_ROLL, &p, copy_info, out);
}

enum store_status store_key_delete_id(struct store *s, int64_t id, const struct store_actor *by)
{
	struct params p = { .n = 0 };
	param_int(&p, id);
	param_actor(&p, by);
	return store_change(s, STMT_KEY_DELETE_ID, &p, true);
}

enum store_status store_key_sweep(struct store *s, int days, int *revoked)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;

	param_int(&p, days);
	*revoked = 0;
	res = store_exec(s, STMT_KEY_SWEEP, &p, &st);
	if (res == NULL)
		return st;
	*revoked = atoi(PQcmdTuples(res));
	PQclear(res);
	return STORE_OK;
}

enum store_status store_key_reused(struct store *s, int64_t id, const char *remote_addr,
				   const char *client, bool revoke, bool *recorded, bool *revoked)
{
	struct params p = { .n = 0 };
	enum store_status st;
	PGresult *res;

	*recorded = *revoked = false;
	param_int(&p, id);
	param_text(&p, remote_addr);
	param_bool(&p, revoke);
	param_text(&p, client);
	res = store_one_row(s, STMT_KEY_REUSED, &p, &st);
	if (res == NULL)
		return st;
	*recorded = store_col_int(res, 0, 0) > 0;
	*revoked = store_col_int(res, 0, 1) > 0;
	PQclear(res);
	return STORE_OK;
}
