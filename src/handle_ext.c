/*
 * /keyfin/v1/keys: what Jellyfin's key API cannot do (docs/keyfin-api.yaml).
 * Keys with an expiry, scopes, allowed addresses and a note; the new key in
 * the answer; details, changes, rolling with a grace period, revocation by
 * id so that a key need not travel in a URL.  JSON in snake_case.
 */
#include "keyfin/handle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/apikey.h"
#include "keyfin/keyopts.h"
#include "keyfin/log.h"
#include "keyfin/render.h"
#include "keyfin/throttle.h"

/* "a\nb" -> ["a","b"]; "" -> `empty` (or []). */
static json_object *lines_to_array(const char *lines, const char *empty)
{
	json_object *a = json_object_new_array();

	if (lines[0] == '\0' && empty != NULL)
		json_object_array_add(a, json_object_new_string(empty));
	while (*lines) {
		const char *nl = strchr(lines, '\n');
		size_t len = nl ? (size_t)(nl - lines) : strlen(lines);

		json_object_array_add(a, json_object_new_string_len(lines, (int)len));
		lines += len + (nl != NULL);
	}
	return a;
}

static json_object *date_or_null(int64_t us)
{
	char buf[RENDER_DATE_LEN + 1];

	if (us <= 0)
		return NULL;
	render_format_date(us, buf);
	return json_object_new_string(buf);
}

static json_object *render_info(const struct store_key_info *k, const char *key)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(k->id));
	json_object_object_add(o, "app", json_object_new_string(k->app_name));
	if (key != NULL)
		json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "prefix", json_object_new_string(k->prefix));
	json_object_object_add(o, "created_at", date_or_null(k->created_us));
	json_object_object_add(o, "last_used_at", date_or_null(k->last_activity_us));
	json_object_object_add(o, "last_address", k->last_address[0] ?
			       json_object_new_string(k->last_address) : NULL);
	json_object_object_add(o, "expires_at", date_or_null(k->expires_us));
	json_object_object_add(o, "scopes", lines_to_array(k->scopes, "admin"));
	json_object_object_add(o, "allowed_ips", lines_to_array(k->allowed_ips, NULL));
	json_object_object_add(o, "note", json_object_new_string(k->note));
	/* a rolled key used after its grace: it may have leaked */
	json_object_object_add(o, "reused_at", date_or_null(k->reused_us));
	json_object_object_add(o, "reused_from", k->reused_from[0] ?
			       json_object_new_string(k->reused_from) : NULL);
	return o;
}

static void ext_failure(struct req *r, enum store_status st)
{
	if (st == STORE_NOT_FOUND)
		http_respond_empty(r, 404);
	else if (st == STORE_INVALID)
		http_respond_text(r, 400, "expires_at or allowed_ips is not valid "
				  "(a date; addresses as CIDR).");
	else
		handle_store_failure(r, st);
}

struct list_ctx {
	json_object *items;
};

static int add_info(const struct store_key_info *k, void *arg)
{
	struct list_ctx *ctx = arg;

	json_object_array_add(ctx->items, render_info(k, NULL));
	return 0;
}

void handle_ext_list(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct list_ctx ctx = { json_object_new_array() };
	enum store_status st = store_key_info(app->store, 0, add_info, &ctx);

	(void)c;
	(void)arg;
	if (st != STORE_OK && st != STORE_NOT_FOUND) {
		json_object_put(ctx.items);
		ext_failure(r, st);
		return;
	}
	handle_send_json(r, 200, ctx.items);
}

void handle_ext_get(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct list_ctx ctx = { json_object_new_array() };
	int64_t id = handle_path_id(arg);
	enum store_status st = id > 0 ? store_key_info(app->store, id, add_info, &ctx)
		: STORE_NOT_FOUND;
	json_object *one;

	(void)c;
	if (st != STORE_OK) {
		json_object_put(ctx.items);
		ext_failure(r, st);
		return;
	}
	one = json_object_get(json_object_array_get_idx(ctx.items, 0));
	json_object_put(ctx.items);
	handle_send_json(r, 200, one);
}

void handle_ext_create(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	json_object *body = handle_json_body(app, r);
	struct keyopts opts;
	struct store_key_info info;
	struct store_actor by;
	struct apikey_new k;
	char name[APIKEY_NAME_INPUT_MAX + 1], actor[64];
	const char *app_name, *why;
	enum apikey_name_check check;
	enum store_status st;

	(void)arg;
	if (body == NULL)
		return;
	app_name = reqjson_str(body, "app");         /* never with a NUL inside */
	check = apikey_take_name(app_name, app_name != NULL ? strlen(app_name) : 0, name);
	why = check != APIKEY_NAME_OK ? apikey_name_problem(check) : keyopts_read(body, &opts);
	if (why != NULL) {
		json_object_put(body);
		http_respond_text(r, 400, why);
		return;
	}
	apikey_make(app->keys, &k);
	auth_actor(c, r, actor, &by);
	st = store_key_insert(app->store, name, k.digest,
			      app->cfg->hash_only ? NULL : k.sealed, k.prefix, &by, &opts.o, &info);
	json_object_put(body);
	if (st != STORE_OK) {
		sodium_memzero(&k, sizeof(k));
		ext_failure(r, st == STORE_NOT_FOUND ? STORE_ERROR : st);
		return;
	}
	throttle_good(k.digest, true);  /* its first use is never throttled */
	log_msg(LOG_INFO, "key_created", "key %s... created (id %" PRId64 ")", k.prefix, info.id);
	handle_send_json(r, 201, render_info(&info, k.token));
	sodium_memzero(&k, sizeof(k));
}

void handle_ext_update(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	int64_t id = handle_path_id(arg);
	json_object *body;
	struct keyopts opts;
	struct store_key_info info;
	const char *why;
	enum store_status st;

	(void)c;
	if (id == 0) {
		http_respond_empty(r, 404);
		return;
	}
	if ((body = handle_json_body(app, r)) == NULL)
		return;
	why = keyopts_read(body, &opts);
	if (why == NULL && reqjson_has(body, "app"))
		why = "app cannot change: make a new key";
	if (why != NULL) {
		json_object_put(body);
		http_respond_text(r, 400, why);
		return;
	}
	st = store_key_update(app->store, id, &opts.o, &info);
	json_object_put(body);
	if (st != STORE_OK) {
		ext_failure(r, st);
		return;
	}
	handle_send_json(r, 200, render_info(&info, NULL));
}

void handle_ext_delete(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	int64_t id = handle_path_id(arg);
	struct store_actor by;
	char actor[64];
	enum store_status st;

	auth_actor(c, r, actor, &by);
	st = id > 0 ? store_key_delete_id(app->store, id, &by) : STORE_NOT_FOUND;
	if (st != STORE_OK) {
		ext_failure(r, st);
		return;
	}
	http_respond_empty(r, 204);
}

void handle_ext_roll(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	int64_t id = handle_path_id(arg);
	int64_t grace = 0;
	struct store_key_info info;
	struct store_actor by;
	struct apikey_new k;
	char actor[64];
	enum store_status st;

	if (id == 0) {
		http_respond_empty(r, 404);
		return;
	}
	/* {"grace": seconds}, or no body at all for 0 */
	if (http_read_body(r, (size_t)app->cfg->max_body) == 0 && r->body_len > 0) {
		json_object *body = handle_json_body(app, r);
		json_object *g;

		if (body == NULL)
			return;
		g = reqjson_member(body, "grace");
		if (g != NULL && (!json_object_is_type(g, json_type_int) ||
				  (grace = json_object_get_int64(g)) < 0 || grace > 30LL * 86400)) {
			json_object_put(body);
			http_respond_text(r, 400, "grace: whole seconds, from 0 to 30 days");
			return;
		}
		json_object_put(body);
	}
	apikey_make(app->keys, &k);
	auth_actor(c, r, actor, &by);
	st = store_key_roll(app->store, id, (int)grace, k.digest,
			    app->cfg->hash_only ? NULL : k.sealed, k.prefix, &by, &info);
	if (st != STORE_OK) {
		sodium_memzero(&k, sizeof(k));
		ext_failure(r, st);
		return;
	}
	throttle_good(k.digest, true);
	log_msg(LOG_INFO, "key_rolled", "key %" PRId64 " rolled to key %s... (id %" PRId64
		"), grace %" PRId64 " s", id, k.prefix, info.id, grace);
	handle_send_json(r, 201, render_info(&info, k.token));
	sodium_memzero(&k, sizeof(k));
}
