/*
 * What the admin console (web/) reads beyond the key details
 * (docs/keyfin-api.yaml): each key's requests per hour over the last 7
 * days, and the sessions signed in, which an administrator can end.
 * JSON in snake_case, as the rest of /keyfin/v1.
 */
#include "keyfin/handle.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyfin/log.h"
#include "keyfin/render.h"
#include "keyfin/usage.h"

static json_object *date_string(int64_t us)
{
	char buf[RENDER_DATE_LEN + 1];

	render_format_date(us, buf);
	return json_object_new_string(buf);
}

/* Keys' hours, gathered into one dense array of USAGE_HOURS per key. */
struct usage_ctx {
	int64_t start_s;
	json_object *keys;              /* the array answered */
	int64_t key_id;                 /* the key of `hours` */
	int64_t hours[USAGE_HOURS];
};

static json_object *usage_entry(const struct usage_ctx *ctx)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	int64_t total = 0;

	for (int i = 0; i < USAGE_HOURS; i++) {
		json_object_array_add(a, json_object_new_int64(ctx->hours[i]));
		total += ctx->hours[i];
	}
	json_object_object_add(o, "id", json_object_new_int64(ctx->key_id));
	json_object_object_add(o, "requests", a);
	json_object_object_add(o, "total", json_object_new_int64(total));
	return o;
}

static void usage_flush(struct usage_ctx *ctx)
{
	if (ctx->key_id != 0)
		json_object_array_add(ctx->keys, usage_entry(ctx));
	memset(ctx->hours, 0, sizeof(ctx->hours));
}

static int usage_add_row(const struct store_usage_row *u, void *arg)
{
	struct usage_ctx *ctx = arg;
	int64_t i = (u->hour_s - ctx->start_s) / USAGE_HOUR_S;

	if (u->key_id != ctx->key_id) {
		usage_flush(ctx);
		ctx->key_id = u->key_id;
	}
	/* an hour a worker's clock put ahead of this one's is the last */
	if (i >= USAGE_HOURS)
		i = USAGE_HOURS - 1;
	if (i >= 0)
		ctx->hours[i] += u->requests;
	return 0;
}

/* The counts of key `id` (0: of every key used in the window). */
static bool usage_read(struct app *app, struct req *r, int64_t id, struct usage_ctx *ctx)
{
	int64_t now_s = time(NULL);
	enum store_status st;

	memset(ctx, 0, sizeof(*ctx));
	ctx->start_s = now_s - now_s % USAGE_HOUR_S - (int64_t)(USAGE_HOURS - 1) * USAGE_HOUR_S;
	ctx->keys = json_object_new_array();
	st = store_usage_list(app->store, id, ctx->start_s, usage_add_row, ctx);
	if (st != STORE_OK) {
		json_object_put(ctx->keys);
		handle_store_failure(r, st);
		return false;
	}
	usage_flush(ctx);
	return true;
}

static json_object *usage_window(const struct usage_ctx *ctx)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "start", date_string(ctx->start_s * 1000000));
	json_object_object_add(o, "hour_seconds", json_object_new_int(USAGE_HOUR_S));
	return o;
}

static int key_exists(const struct store_key_info *k, void *arg)
{
	(void)k;
	(void)arg;
	return 1;
}

void handle_usage_key(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	static struct usage_ctx ctx;    /* 1.3 KiB: not on the stack */
	int64_t id = handle_path_id(arg);
	enum store_status st = id > 0 ? store_key_info(app->store, id, key_exists, NULL)
		: STORE_NOT_FOUND;
	json_object *o, *entry;

	(void)c;
	if (st != STORE_OK) {
		if (st == STORE_NOT_FOUND)
			http_respond_empty(r, 404);
		else
			handle_store_failure(r, st);
		return;
	}
	if (!usage_read(app, r, id, &ctx))
		return;
	if (json_object_array_length(ctx.keys) == 0) {
		ctx.key_id = id;        /* not used in the window: all zeros */
		usage_flush(&ctx);
	}
	entry = json_object_array_get_idx(ctx.keys, 0);
	o = usage_window(&ctx);
	json_object_object_add(o, "id", json_object_get(json_object_object_get(entry, "id")));
	json_object_object_add(o, "requests", json_object_get(json_object_object_get(entry, "requests")));
	json_object_object_add(o, "total", json_object_get(json_object_object_get(entry, "total")));
	json_object_put(ctx.keys);
	handle_send_json(r, 200, o);
}

void handle_usage_all(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	static struct usage_ctx ctx;
	json_object *o;

	(void)c;
	(void)arg;
	if (!usage_read(app, r, 0, &ctx))
		return;
	o = usage_window(&ctx);
	json_object_object_add(o, "keys", ctx.keys);
	handle_send_json(r, 200, o);
}

struct sessions_ctx {
	json_object *list;
	int64_t own;                    /* the caller's session, 0 for a key */
};

static int add_session(const struct store_session_info *x, void *arg)
{
	struct sessions_ctx *ctx = arg;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(x->id));
	json_object_object_add(o, "user_id", x->user_id[0] ? json_object_new_string(x->user_id) : NULL);
	json_object_object_add(o, "user_name", json_object_new_string(x->user_name));
	json_object_object_add(o, "client", json_object_new_string(x->client));
	json_object_object_add(o, "device_name", json_object_new_string(x->device_name));
	json_object_object_add(o, "device_id", json_object_new_string(x->device_id));
	json_object_object_add(o, "app_version", json_object_new_string(x->app_version));
	json_object_object_add(o, "created_at", date_string(x->created_us));
	json_object_object_add(o, "last_activity_at", date_string(x->last_activity_us));
	json_object_object_add(o, "current", json_object_new_boolean(x->id == ctx->own));
	json_object_array_add(ctx->list, o);
	return 0;
}

void handle_sessions_list(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct sessions_ctx ctx = { json_object_new_array(),
				    c->who.kind == STORE_PRINCIPAL_SESSION ? c->who.id : 0 };
	enum store_status st = store_session_list(app->store, add_session, &ctx);

	(void)arg;
	if (st != STORE_OK) {
		json_object_put(ctx.list);
		handle_store_failure(r, st);
		return;
	}
	handle_send_json(r, 200, ctx.list);
}

void handle_sessions_delete(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	int64_t id = handle_path_id(arg);
	struct store_actor by;
	char actor[64];
	enum store_status st;

	auth_actor(c, r, actor, &by);
	st = id > 0 ? store_session_sign_out(app->store, id, &by) : STORE_NOT_FOUND;
	if (st == STORE_NOT_FOUND) {
		http_respond_empty(r, 404);
		return;
	}
	if (st != STORE_OK) {
		handle_store_failure(r, st);
		return;
	}
	log_msg(LOG_INFO, "session_revoked", "session %" PRId64 " signed out by an administrator", id);
	http_respond_empty(r, 204);
}
