#include "keyfin/auth.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/monotime.h"
#include "keyfin/uri.h"

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

	if (n == -2) {
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

/*
 * Who a token is, remembered by each worker, so that a key used over and
 * over (every request of every integration) is not looked up every time.
 *
 * Revocation stays immediate, across workers and instances: every change
 * that takes a right away adds one to a generation counter in the same
 * transaction (triggers, sql/0004_revocations.sql).  An entry is used only
 * while the worker has read the current generation within the last
 * KEYFIN_AUTH_CACHE_MS, measured from when it *sent* the query that read it,
 * and a revoking request waits KEYFIN_AUTH_CACHE_MS after its commit before
 * it answers (auth_revocation_wait).  So a request that arrives after that
 * answer finds every worker either having read the new generation (which
 * empties its memory) or past its limit and asking again.  An entry also
 * ends at a key's expiry and after AUTH_REMEMBER_MS at most (names and
 * device fields then come fresh from the database).
 */
#define AUTH_REMEMBER_SLOTS 128
#define AUTH_REMEMBER_MS 10000

struct auth_remembered {
	bool used;
	unsigned char digest[TOKEN_DIGEST_LEN];
	char remote[64];                /* allowed_ips is decided per address */
	int64_t generation;
	int64_t looked_up_us;           /* monotonic, when the lookup was sent */
	struct store_principal who;
};

static struct {
	struct auth_remembered *slot;   /* AUTH_REMEMBER_SLOTS, made on first use */
	int64_t generation;             /* the newest read; -1: none yet */
	int64_t checked_us;             /* when the query that read it was sent */
	uint64_t connects;              /* store_connects() it was read on */
} remembered = { NULL, -1, 0, 0 };

/* A generation read by a query sent at `sent_us` on the store's current
 * connection.  Any other value than the one known empties the memory, a
 * lower one too (a database restored from a backup), and so does any value
 * read on another connection than the last: after a reconnect the server
 * may be another one (a failover), whose counter says nothing of the old
 * one's, even when the numbers happen to agree. */
static void auth_saw_generation(struct app *app, int64_t generation, int64_t sent_us)
{
	uint64_t connects = store_connects(app->store);

	if (generation != remembered.generation || connects != remembered.connects) {
		if (remembered.slot != NULL)
			for (int i = 0; i < AUTH_REMEMBER_SLOTS; i++)
				remembered.slot[i].used = false;
		remembered.generation = generation;
		remembered.connects = connects;
		remembered.checked_us = sent_us;
	} else if (sent_us > remembered.checked_us) {
		remembered.checked_us = sent_us;
	}
}

static struct auth_remembered *auth_slot(const unsigned char digest[TOKEN_DIGEST_LEN])
{
	uint32_t h;

	if (remembered.slot == NULL) {
		remembered.slot = calloc(AUTH_REMEMBER_SLOTS, sizeof(*remembered.slot));
		if (remembered.slot == NULL)
			return NULL;
	}
	memcpy(&h, digest, sizeof(h));  /* a keyed hash: already uniform */
	return &remembered.slot[h % AUTH_REMEMBER_SLOTS];
}

/* The remembered answer for this token from this address, if it may be
 * used; may ask PostgreSQL for the generation.  NULL: look it up. */
static struct auth_remembered *auth_recall(struct app *app,
					   const unsigned char digest[TOKEN_DIGEST_LEN],
					   const char *remote)
{
	int64_t window_us = (int64_t)app->cfg->auth_cache_ms * 1000;
	struct auth_remembered *e = window_us > 0 ? auth_slot(digest) : NULL;
	int64_t now = monotime_us(), generation;

	if (e == NULL || !e->used || now - e->looked_up_us > AUTH_REMEMBER_MS * 1000LL ||
	    sodium_memcmp(e->digest, digest, TOKEN_DIGEST_LEN) != 0 ||
	    strcmp(e->remote, remote ? remote : "") != 0)
		return NULL;
	/* expires_in_us is counted by the database's clock from the lookup;
	 * counted here from when the lookup was sent, it ends no later */
	if (e->who.expires_in_us != 0 && now >= e->looked_up_us + e->who.expires_in_us)
		return NULL;
	/* not checked within the window, or on another connection since: ask.
	 * A counter that cannot be read is no answer from memory. */
	if (now - remembered.checked_us > window_us ||
	    store_connects(app->store) != remembered.connects) {
		if (store_generation(app->store, &generation) != STORE_OK)
			return NULL;
		auth_saw_generation(app, generation, now);
	}
	return e->used && e->generation == remembered.generation ? e : NULL;
}

static void auth_remember(struct app *app, const unsigned char digest[TOKEN_DIGEST_LEN],
			  const char *remote, const struct store_principal *who,
			  int64_t generation, int64_t sent_us)
{
	struct auth_remembered *e;

	if (app->cfg->auth_cache_ms <= 0)
		return;
	auth_saw_generation(app, generation, sent_us);
	if (generation != remembered.generation || (e = auth_slot(digest)) == NULL ||
	    strlen(remote ? remote : "") >= sizeof(e->remote))
		return;
	e->used = true;
	memcpy(e->digest, digest, TOKEN_DIGEST_LEN);
	snprintf(e->remote, sizeof(e->remote), "%s", remote ? remote : "");
	e->generation = generation;
	e->looked_up_us = sent_us;
	e->who = *who;
}

void auth_revocation_wait(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int auth_require(struct app *app, struct caller *c, enum auth_level level)
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
			return 401;
		struct auth_remembered *known;
		int64_t generation = 0, sent_us = 0;

		count = token_digests(app->keys, c->token, c->token_len, digests);
		known = auth_recall(app, digests[0], c->remote_addr);
		if (known != NULL) {
			c->who = known->who;
			metrics_auth_remembered();
		} else {
			sent_us = monotime_us();
			st = store_lookup_token(app->store, digests, count, c->remote_addr,
						&c->who, &generation);
			if (st == STORE_NOT_FOUND)
				return 401;
			if (st != STORE_OK)
				return 503;
		}
		c->resolved = true;
		auth_touch(app, &c->who, c->remote_addr);
		if (known == NULL)
			auth_remember(app, digests[0], c->remote_addr, &c->who, generation, sent_us);
		else
			known->who.last_activity_us = c->who.last_activity_us;
	}
	if (c->who.kind == STORE_PRINCIPAL_KEY) {
		if (!c->who.address_allowed)
			return 403;
		/* a key with scopes is no administrator */
		if (level == AUTH_ADMIN && !scope_is_admin(c->who.scopes))
			return 403;
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
