#include "keyfin/auth.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyfin/authcache.h"
#include "keyfin/log.h"
#include "keyfin/scope.h"
#include "keyfin/throttle.h"
#include "keyfin/metrics.h"
#include "keyfin/monotime.h"
#include "keyfin/uri.h"
#include "keyfin/usage.h"

static void use_token(struct caller *c, const char *value, size_t len)
{
	c->token = value;
	c->token_len = len;
	c->token_blank = authhdr_is_blank(&(struct authhdr_value){ value, len, true });
}

/* A header fallback: empty means absent, as ASP.NET's StringValues. */
static bool try_header(struct caller *c, const struct req *r, const char *name)
{
	const char *v = http_param(r, name);

	if (v == NULL || v[0] == '\0')
		return false;
	use_token(c, v, strlen(v));
	return true;
}

static bool try_query(struct caller *c, const char *query, const char *name)
{
	long n = uri_query(query, name, c->query_token, sizeof(c->query_token));

	if (n == URI_QUERY_TOO_LONG) {
		/* longer than any token: keep it as an unknown one */
		use_token(c, c->query_token, sizeof(c->query_token) - 1);
		return true;
	}
	if (n <= 0)
		return false;
	use_token(c, c->query_token, (size_t)n);
	return true;
}

void auth_extract(struct caller *c, const struct req *r, bool legacy)
{
	auth_extract_query(c, r, legacy, NULL);
}

void auth_extract_query(struct caller *c, const struct req *r, bool legacy,
			const char *query)
{
	c->remote_addr = r->remote_addr;
	const char *header = http_param(r, "HTTP_AUTHORIZATION");

	memset(&c->hdr, 0, sizeof(c->hdr));
	c->token = NULL;
	c->token_len = 0;
	c->token_blank = false;
	c->resolved = false;
	if ((header == NULL || header[0] == '\0') && legacy)
		header = http_param(r, "HTTP_X_EMBY_AUTHORIZATION");
	if (header != NULL && header[0] != '\0') {
		size_t len = strlen(header);

		if (len <= AUTHHDR_MAX_INPUT)
			authhdr_parse(header, len, legacy, c->scratch, sizeof(c->scratch),
				      &c->hdr);
		if (c->hdr.token.present && c->hdr.token.len > 0) {
			use_token(c, c->hdr.token.ptr, c->hdr.token.len);
			return;
		}
	}
	if (legacy && (try_header(c, r, "HTTP_X_EMBY_TOKEN") ||
		       try_header(c, r, "HTTP_X_MEDIABROWSER_TOKEN")))
		return;
	if (query == NULL)
		query = r->query;
	if (try_query(c, query, "ApiKey"))
		return;
	if (legacy)
		try_query(c, query, "api_key");
}

/* Keep DateLastActivity true without a write per request: at most one per
 * token per activity_interval (the query itself re-checks the age, so many
 * workers and instances still write about once). */
static void auth_touch(struct app *app, struct store_principal *who,
		       const char *remote_addr)
{
	int interval = app->cfg->activity_interval;
	int64_t now_us = (int64_t)time(NULL) * 1000000;

	if (who->last_activity_us > now_us - (int64_t)interval * 1000000)
		return;
	enum store_status st = store_touch(app->store, who->kind, who->id, interval, remote_addr);

	/* a database that is away (already logged) costs this write only: the
	 * request is answered, and a later one records the activity */
	if (st == STORE_OK)
		who->last_activity_us = now_us;
	else if (st != STORE_UNAVAILABLE)
		log_msg(LOG_WARN, "touch", "could not record last activity");
}

/* The key list's version, for the memory of unknown tokens. */
static int read_list_version(void *ctx, int64_t *version, int *window_ms, uint64_t *connects)
{
	struct store *store = ctx;
	int rc = store_key_list_version(store, version, window_ms) == STORE_OK ? 0 : -1;

	*connects = store_connects(store);
	return rc;
}

/* The revocation counter, for the memory (authcache_counter_fn). */
static int read_counter(void *ctx, int64_t *generation, int *window_ms, uint64_t *connects)
{
	struct store *store = ctx;
	int rc = store_generation(store, generation, window_ms) == STORE_OK ? 0 : -1;

	*connects = store_connects(store);
	return rc;
}

void auth_note_failure(struct app *app, const char *remote_addr, const char *client)
{
	struct store_actor by = { "keyfin", NULL, remote_addr ? remote_addr : "",
				  client ? client : "" };
	char target[96];

	if (!throttle_failed(remote_addr, monotime_ms()))
		return;
	/* once, when the address starts being throttled */
	snprintf(target, sizeof(target), "address %s", remote_addr);
	log_msg(LOG_WARN, "auth_throttle", "%s throttled after repeated failed credentials",
		target);
	if (store_audit_add(app->store, "auth.throttle", "Warning", &by, target) != STORE_OK)
		log_msg(LOG_WARN, "audit", "could not record the throttling in the audit trail");
}

/* A rolled key used after its grace: it may have leaked.  Recorded (and
 * with KEYFIN_ROLL_REUSE=revoke its replacement revoked); the caller still
 * gets 401. */
static void auth_rolled_key_reused(struct app *app, const struct caller *c)
{
	bool revoke = strcmp(app->cfg->roll_reuse, "revoke") == 0, recorded, revoked;
	const char *client = c->hdr.client.present ? c->hdr.client.ptr : NULL;

	if (store_key_reused(app->store, c->who.id, c->remote_addr, client, revoke,
			     &recorded, &revoked) != STORE_OK)
		return;
	if (recorded)
		log_msg(LOG_WARN, "key_reused", "key %" PRId64 " used after its roll's grace "
			"from %s: it may have leaked", c->who.id, c->remote_addr ? c->remote_addr : "?");
	if (revoked) {
		/* this worker may not answer for the revoked key from memory;
		 * the others see the revocation counter within the window */
		authcache_forget(&app->authcache);
		log_msg(LOG_WARN, "key_revoked", "the key that replaced key %" PRId64
			" revoked (KEYFIN_ROLL_REUSE=revoke)", c->who.id);
	}
}

/* A credential that is no good: counted against its address. */
static int auth_failed(struct app *app, struct caller *c,
		       const unsigned char digest[TOKEN_DIGEST_LEN])
{
	if (digest != NULL)
		throttle_good(digest, false);
	auth_note_failure(app, c->remote_addr,
			  c->hdr.client.present ? c->hdr.client.ptr : NULL);
	return 401;
}

int auth_require(struct app *app, struct caller *c, enum auth_level level,
		 const char *method, const char *path)
{
	unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN];
	enum store_status st;
	int count;

	if (level == AUTH_ANONYMOUS)
		return 0;
	if (c->token == NULL || c->token_blank)
		return 401;
	if (!c->resolved) {
		/* keyfin only makes 32 lowercase hex: anything else is unknown */
		if (!token_is_wellformed(c->token, c->token_len))
			return auth_failed(app, c, NULL);
		struct authcache_entry *known;
		int64_t generation = 0, sent_us = 0;
		int window_ms = 0;

		count = token_digests(app->keys, c->token, c->token_len, digests);
		known = authcache_recall(&app->authcache, digests[0], c->remote_addr, monotime_us(),
					 store_connects(app->store), read_counter, app->store);
		if (known != NULL) {
			c->who = known->who;
			metrics_auth_remembered();
		} else if (authcache_known_bad(&app->authcache, digests[0], monotime_us(),
					       store_connects(app->store), read_list_version,
					       app->store)) {
			/* unknown a moment ago, and no key has changed since */
			metrics_auth_known_bad();
			return auth_failed(app, c, digests[0]);
		} else {
			/* an address that sent too many failed credentials: only
			 * credentials known good here are looked up */
			c->retry_after = throttle_wait(c->remote_addr, monotime_ms());
			if (c->retry_after > 0 && !throttle_is_good(digests[0])) {
				/* a refused attempt counts too: while a flood goes
				 * on its address stays throttled, instead of having
				 * one token a second looked up as it is forgiven */
				(void)throttle_failed(c->remote_addr, monotime_ms());
				metrics_auth_throttled();
				return 429;
			}
			sent_us = monotime_us();
			st = store_lookup_token(app->store, digests, count, c->remote_addr,
						&c->who, &generation, &window_ms);
			if (st == STORE_NOT_FOUND && c->who.reused)
				auth_rolled_key_reused(app, c);
			if (st == STORE_NOT_FOUND) {
				authcache_remember_bad(&app->authcache, digests[0], sent_us,
						       monotime_us(), store_connects(app->store),
						       read_list_version, app->store);
				return auth_failed(app, c, digests[0]);
			}
			if (st != STORE_OK)
				return 503;
			throttle_good(digests[0], true);
		}
		c->resolved = true;
		auth_touch(app, &c->who, c->remote_addr);
		if (known == NULL)
			authcache_remember(&app->authcache, digests[0], c->remote_addr, &c->who,
					   generation, window_ms, sent_us, store_connects(app->store));
		else
			known->who.last_activity_us = c->who.last_activity_us;
	}
	if (c->who.kind == STORE_PRINCIPAL_KEY) {
		if (!c->who.address_allowed)
			return 403;
		/* a key with scopes is no administrator, and calls only what its
		 * scopes name */
		if (level == AUTH_ADMIN && !scope_is_admin(c->who.scopes))
			return 403;
		if (!scope_allows(c->who.scopes, method, path))
			return 403;
		usage_count(&app->usage, c->who.id, time(NULL));
		return 0;
	}
	if (c->who.user_missing)
		return 403;
	if (c->who.is_disabled)
		return 401;
	if (level == AUTH_ADMIN && !c->who.is_admin)
		return 403;
	return 0;
}

enum auth_front auth_front_resolve(struct app *app, struct caller *c)
{
	unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN];
	struct authcache_entry *known;
	int64_t generation = 0, sent_us;
	int window_ms = 0;
	enum store_status st;
	bool gone = false;
	int count;

	/* keyfin only makes 32 lowercase hex: anything else is Jellyfin's */
	if (!token_is_wellformed(c->token, c->token_len))
		return AUTH_FRONT_UNKNOWN;
	count = token_digests(app->keys, c->token, c->token_len, digests);
	known = authcache_recall(&app->authcache, digests[0], c->remote_addr, monotime_us(),
				 store_connects(app->store), read_counter, app->store);
	if (known != NULL) {
		c->who = known->who;
		c->resolved = true;
		metrics_auth_remembered();
		auth_touch(app, &c->who, c->remote_addr);
		known->who.last_activity_us = c->who.last_activity_us;
		return c->who.kind == STORE_PRINCIPAL_KEY ? AUTH_FRONT_KEY : AUTH_FRONT_SESSION;
	}
	/* both memories are believed only while no key has changed since */
	if (authcache_known_bad(&app->front_unknown, digests[0], monotime_us(),
				store_connects(app->store), read_list_version, app->store))
		return AUTH_FRONT_UNKNOWN;
	if (authcache_known_bad(&app->front_gone, digests[0], monotime_us(),
				store_connects(app->store), read_list_version, app->store)) {
		metrics_auth_known_bad();
		return AUTH_FRONT_GONE;
	}
	sent_us = monotime_us();
	st = store_lookup_token(app->store, digests, count, c->remote_addr, &c->who, &generation,
				&window_ms);
	if (st == STORE_NOT_FOUND && c->who.reused) {
		auth_rolled_key_reused(app, c);
		gone = true;
	} else if (st == STORE_NOT_FOUND) {
		st = store_key_gone(app->store, digests, count, &gone);
		if (st != STORE_OK)
			return AUTH_FRONT_UNAVAILABLE;
	} else if (st != STORE_OK) {
		return AUTH_FRONT_UNAVAILABLE;
	} else {
		c->resolved = true;
		auth_touch(app, &c->who, c->remote_addr);
		authcache_remember(&app->authcache, digests[0], c->remote_addr, &c->who,
				   generation, window_ms, sent_us, store_connects(app->store));
		return c->who.kind == STORE_PRINCIPAL_KEY ? AUTH_FRONT_KEY : AUTH_FRONT_SESSION;
	}
	authcache_remember_bad(gone ? &app->front_gone : &app->front_unknown, digests[0], sent_us,
			       monotime_us(), store_connects(app->store), read_list_version,
			       app->store);
	return gone ? AUTH_FRONT_GONE : AUTH_FRONT_UNKNOWN;
}

void auth_actor(const struct caller *c, const struct req *r, char name[64],
		struct store_actor *out)
{
	char prefix[5];

	out->remote_addr = r->remote_addr ? r->remote_addr : "";
	out->client = c->resolved ? c->who.client : c->hdr.client.present ? c->hdr.client.ptr : "";
	if (c->resolved && c->who.kind == STORE_PRINCIPAL_KEY) {
		token_prefix(c->token, prefix);
		snprintf(name, 64, "API key %s...", prefix);
		out->name = name;
		out->user_id = NULL;
		return;
	}
	out->name = c->resolved ? c->who.user_name : "";
	out->user_id = c->resolved && c->who.user_id[0] ? c->who.user_id : NULL;
}
