/*
 * auth: who is calling.  Finds the token where Jellyfin 10.11 looks for it
 * (jellyfin-compat.md s.2: Authorization, then X-Emby-Authorization, then
 * X-Emby-Token, X-MediaBrowser-Token, ?ApiKey=, ?api_key=; the legacy ones
 * only with legacy_authorization on), then resolves it in one query,
 * session tokens before API keys.
 */
#ifndef KEYFIN_AUTH_H
#define KEYFIN_AUTH_H

#include <stdbool.h>

#include "keyfin/app.h"
#include "keyfin/authhdr.h"
#include "keyfin/http.h"
#include "keyfin/store.h"

enum auth_level {
	AUTH_ANONYMOUS,         /* anyone */
	AUTH_USER,              /* any valid token */
	AUTH_ADMIN,             /* Jellyfin's RequiresElevation: admin user or API key */
};

struct caller {
	struct authhdr hdr;             /* Client, Device, ... as the client sent them */
	char scratch[AUTHHDR_MAX_INPUT * 2];
	char query_token[HTTP_PARAM_MAX + 1];
	const char *token;              /* NULL: none given */
	size_t token_len;
	bool token_blank;               /* whitespace only: stops the fallbacks */
	bool resolved;                  /* `who` is filled */
	const char *remote_addr;        /* REMOTE_ADDR, for a key's allowed_ips */
	int retry_after;                /* seconds, with a 429 */
	struct store_principal who;
};

/* Read the credentials of `r` into `c` (no database).  The query-string
 * fallbacks read `query` when it is not NULL (the gateway: the original
 * request's query), else the request's own. */
void auth_extract(struct caller *c, const struct req *r, bool legacy);
void auth_extract_query(struct caller *c, const struct req *r, bool legacy,
			const char *query);

/*
 * Check that `c` may call `method` `path`, an endpoint of `level`.  Returns
 * 0, or the status to answer: 401 (no, unknown or blank token; disabled
 * user), 403 (not an administrator; the token of a deleted user; a key
 * outside its scopes or allowed addresses), 429 (the address is throttled:
 * c->retry_after), 503 (database away).
 */
int auth_require(struct app *app, struct caller *c, enum auth_level level,
		 const char *method, const char *path);

/* What a token is to front mode (src/handle_gateway.c, docs/front.md). */
enum auth_front {
	AUTH_FRONT_KEY,         /* a keyfin key: c->who */
	AUTH_FRONT_SESSION,     /* a keyfin user's session: not for Jellyfin */
	AUTH_FRONT_UNKNOWN,     /* not keyfin's (Jellyfin's own): it goes on */
	AUTH_FRONT_GONE,        /* a keyfin key, revoked or expired: 401 */
	AUTH_FRONT_UNAVAILABLE, /* the database is away: 503 */
};

/*
 * Who the (non-blank) token of `c` is, for front mode: the same memory and
 * lookup as auth_require(), a revoked or expired key told apart from a
 * token keyfin never made (sql/0012_key_tombstones.sql), and no failed
 * credential counted against the address (Jellyfin's own tokens are
 * unknown here by design).  Checks no scope or address: the caller does.
 */
enum auth_front auth_front_resolve(struct app *app, struct caller *c);

/* A failed credential (a wrong login) from `remote_addr`, counted by the
 * failed-credential throttle (src/throttle.h); the first that throttles
 * the address is put in the audit trail. */
void auth_note_failure(struct app *app, const char *remote_addr, const char *client);

/* The resolved caller as the audit trail names it.  `name` (64 bytes) holds
 * "API key 1a2b..." for a key: never the whole key. */
void auth_actor(const struct caller *c, const struct req *r, char name[64],
		struct store_actor *out);

#endif
