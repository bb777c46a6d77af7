/* GET, POST /Auth/Keys and DELETE /Auth/Keys/{key} (ApiKeyController). */
#include "keyfin/handle.h"

#include <string.h>
#include <strings.h>

#include "keyfin/apikey.h"
#include "keyfin/log.h"
#include "keyfin/render.h"
#include "keyfin/uri.h"

/*
 * AuthenticationInfo as Jellyfin fills it for an API key: the constant
 * fields are constant there too.  Written by hand, not with json-c: a list
 * writes one per key, and building a json-c tree for each was most of what
 * GET /Auth/Keys cost.  Field order and both naming profiles are those of
 * the DTO (tests/integration/suites/keys.mjs checks both).
 */
#define KEY_ITEM_MAX (RENDER_JSON_STRING_MAX(TOKEN_HEX_LEN) + \
		      RENDER_JSON_STRING_MAX(APIKEY_NAME_INPUT_MAX + 2) + \
		      2 * RENDER_DATE_LEN + 256)   /* a name as POST takes it, or longer */

static const char *const key_item_parts[2][4] = {
	{ "{\"Id\":0,\"AccessToken\":",
	  ",\"DeviceId\":\"\",\"AppName\":",
	  ",\"AppVersion\":\"\",\"DeviceName\":\"\",\"UserId\":\"00000000000000000000000000000000\","
	  "\"IsActive\":false,\"DateCreated\":\"",
	  "\",\"DateLastActivity\":\"" },
	{ "{\"id\":0,\"accessToken\":",
	  ",\"deviceId\":\"\",\"appName\":",
	  ",\"appVersion\":\"\",\"deviceName\":\"\",\"userId\":\"00000000000000000000000000000000\","
	  "\"isActive\":false,\"dateCreated\":\"",
	  "\",\"dateLastActivity\":\"" },
};

static char *put(char *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o, s, n);
	return o + n;
}

/* One key as JSON into `out` (KEY_ITEM_MAX bytes); returns the length. */
static size_t render_key(char out[KEY_ITEM_MAX], bool camel, const char *token,
			 const char *app, int64_t created_us, int64_t last_activity_us)
{
	const char *const *part = key_item_parts[camel];
	char *o = out;

	o = put(o, part[0]);
	o += render_json_string(o, token);
	o = put(o, part[1]);
	o += render_json_string(o, app);
	o = put(o, part[2]);
	render_format_date(created_us, o);
	o += RENDER_DATE_LEN;
	o = put(o, part[3]);
	render_format_date(last_activity_us, o);
	o += RENDER_DATE_LEN;
	o = put(o, "\"}");
	return (size_t)(o - out);
}

/*
 * GET /Auth/Keys streams: from the database to the client a page of keys
 * at a time, so memory stays that of one page however many there are.
 *
 * A worker also keeps the answer it rendered last (per naming profile),
 * with the version of the key list it was read at (one snapshot: lists of
 * one page only), and sends it again after reading the list's current
 * version and finding it the same (sql/0005_key_list_version.sql: any
 * change to any key raises it, in the same transaction).  One row read
 * instead of the list; never an answer older than the request.  The kept
 * answer holds keys, so it lives in sodium_malloc'd memory like the
 * secret that opens them.
 */
#define LIST_KEPT_MAX (512 * 1024)

struct list_kept {
	char *body;                     /* LIST_KEPT_MAX bytes, made on first use */
	size_t len;                     /* 0: nothing kept */
	int64_t version;
	uint64_t connects;              /* read on this connection (store_connects) */
};

static struct list_kept list_kept[2];   /* [camel] */

struct list_ctx {
	const struct app *app;
	struct req *r;
	bool camel, started;
	int count;
	struct list_kept *keep;         /* what is written is copied here too */
	bool too_long;                  /* ... unless it did not fit */
};

static void list_write(struct list_ctx *ctx, const char *data, size_t len)
{
	struct list_kept *k = ctx->keep;

	http_write(ctx->r, data, len);
	if (k == NULL || ctx->too_long)
		return;
	if (k->len + len > LIST_KEPT_MAX) {
		ctx->too_long = true;
		return;
	}
	memcpy(k->body + k->len, data, len);
	k->len += len;
}

static void list_put(struct list_ctx *ctx, const char *text)
{
	list_write(ctx, text, strlen(text));
}

/* The name of a member in the answer's naming profile, quoted, with ':'. */
static void list_name(struct list_ctx *ctx, const char *pascal)
{
	char name[64];

	if (ctx->camel)
		render_camel(pascal, name);
	else
		snprintf(name, sizeof(name), "%s", pascal);
	list_put(ctx, "\"");
	list_put(ctx, name);
	list_put(ctx, "\":");
}

static int list_one(const struct store_key *key, void *arg)
{
	struct list_ctx *ctx = arg;
	char token[TOKEN_HEX_LEN + 1];
	char item[KEY_ITEM_MAX + 1];
	size_t len;

	if (key->sealed_len == 0) {
		/* hash-only: the first characters are all there is */
		snprintf(token, sizeof(token), "%s", key->prefix);
	} else if (token_open_remembered(ctx->app->keys, key->sealed, key->sealed_len,
					 token) < 0) {
		/* sealed under another secret: show that it exists, not a key */
		log_msg(LOG_WARN, "key_unsealable", "key id %lld cannot be opened with "
			"this server secret", (long long)key->id);
		token[0] = '\0';
	}
	item[0] = ',';
	len = render_key(item + 1, ctx->camel, token, key->app_name, key->created_us,
			 key->last_activity_us);
	sodium_memzero(token, sizeof(token));
	if (!ctx->started) {
		http_respond_start(ctx->r, 200, "application/json; charset=utf-8");
		list_put(ctx, "{");
		list_name(ctx, "Items");
		list_put(ctx, "[");
		ctx->started = true;
		list_write(ctx, item + 1, len);
	} else {
		list_write(ctx, item, len + 1);
	}
	sodium_memzero(item, len + 1);
	ctx->count++;
	return 0;
}

static void list_forget(struct list_kept *k)
{
	sodium_memzero(k->body, k->len);
	k->len = 0;
}

/* Send the kept answer if the list has not changed since it was read. */
static bool list_send_kept(struct app *app, struct req *r, struct list_kept *k)
{
	int64_t version;

	/* a version read from another server (after a failover) says
	 * nothing of the kept one, even when the numbers agree */
	if (k->len == 0 || store_key_list_version(app->store, &version, NULL) != STORE_OK ||
	    version != k->version || store_connects(app->store) != k->connects)
		return false;
	http_respond(r, 200, "application/json; charset=utf-8", k->body, k->len);
	return true;
}

void handle_keys_list(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct list_kept *k = &list_kept[r->camel_case];
	struct list_ctx ctx = { app, r, r->camel_case, false, 0, NULL, false };
	int64_t version = -1;
	enum store_status st;
	char count[24];

	(void)c;
	(void)arg;
	if (list_send_kept(app, r, k))
		return;
	if (k->body == NULL)
		k->body = sodium_malloc(LIST_KEPT_MAX);
	if (k->body != NULL) {
		list_forget(k);
		ctx.keep = k;
	}
	st = store_key_list(app->store, list_one, &ctx, &version);
	if (st != STORE_OK && ctx.keep != NULL)
		list_forget(k);
	if (st != STORE_OK && !ctx.started) {
		handle_store_failure(r, st);
		return;
	}
	if (st != STORE_OK) {
		/* the answer has begun: all that is left is to cut it short */
		log_msg(LOG_ERROR, "key_list", "the database failed in the middle of a list");
		return;
	}
	if (!ctx.started) {
		http_respond_start(r, 200, "application/json; charset=utf-8");
		list_put(&ctx, "{");
		list_name(&ctx, "Items");
		list_put(&ctx, "[");
	}
	list_put(&ctx, "],");
	list_name(&ctx, "TotalRecordCount");
	snprintf(count, sizeof(count), "%d,", ctx.count);
	list_put(&ctx, count);
	list_name(&ctx, "StartIndex");
	list_put(&ctx, "0}");
	if (ctx.keep != NULL && (ctx.too_long || version < 0))
		list_forget(k);
	k->version = version;
	k->connects = store_connects(app->store);
}

/* Does a Prefer header hold return=representation (any case, any place)? */
static bool prefers_representation(const char *prefer)
{
	static const char want[] = "return=representation";

	for (const char *p = prefer; p != NULL && *p; p++)
		if (strncasecmp(p, want, sizeof(want) - 1) == 0 &&
		    (p[sizeof(want) - 1] == '\0' || p[sizeof(want) - 1] == ',' ||
		     p[sizeof(want) - 1] == ';' || p[sizeof(want) - 1] == ' '))
			return true;
	return false;
}

void handle_keys_create(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	char given[APIKEY_NAME_INPUT_MAX + 2], name[APIKEY_NAME_INPUT_MAX + 1];
	char token[TOKEN_HEX_LEN + 1], actor_name[64];
	long len = http_query(r, "app", given, sizeof(given));
	struct store_actor by;
	int64_t created_us = 0;
	enum apikey_name_check check;
	enum store_status st;

	(void)arg;
	/* The body is ignored whatever its type (Seerr sends application/json
	 * with nothing in it): it is never read. */
	/* more than `given` holds is more than a name may be */
	check = apikey_take_name(len == URI_QUERY_ABSENT ? NULL : given,
				 len == URI_QUERY_TOO_LONG ? sizeof(given) : (size_t)len, name);
	if (check != APIKEY_NAME_OK) {
		http_respond_text(r, 400, apikey_name_problem(check));
		return;
	}
	auth_actor(c, r, actor_name, &by);
	st = apikey_create(app->keys, app->store, name, &by, app->cfg->hash_only, token,
			   &created_us);
	if (st != STORE_OK) {
		sodium_memzero(token, sizeof(token));
		handle_store_failure(r, st);
		return;
	}
	/* Jellyfin answers 204 and the key has to be found in the list; a
	 * client that asks (RFC 7240) gets it at once */
	if (prefers_representation(http_param(r, "HTTP_PREFER"))) {
		char item[KEY_ITEM_MAX];
		size_t item_len = render_key(item, r->camel_case, token, name, created_us, 0);

		sodium_memzero(token, sizeof(token));
		http_respond(r, 200, "application/json; charset=utf-8", item, item_len);
		sodium_memzero(item, item_len);
		return;
	}
	sodium_memzero(token, sizeof(token));
	http_respond_empty(r, 204);
}

void handle_keys_revoke(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	char actor_name[64];
	struct store_actor by;
	enum store_status st;

	auth_actor(c, r, actor_name, &by);
	st = apikey_revoke(app->keys, app->store, arg, &by);
	if (st != STORE_OK) {
		handle_store_failure(r, st);
		return;
	}
	http_respond_empty(r, 204);
}
