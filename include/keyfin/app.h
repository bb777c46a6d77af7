/*
 * app: what one worker process holds for its whole life, shared by every
 * handler: the settings, the token keys, its database connection, its
 * memory of tokens.  The command line uses the same struct.
 */
#ifndef KEYFIN_APP_H
#define KEYFIN_APP_H

#include <stdbool.h>

#include "keyfin/authcache.h"
#include "keyfin/config.h"
#include "keyfin/front.h"
#include "keyfin/store.h"
#include "keyfin/token.h"
#include "keyfin/usage.h"

struct app {
	/* the settings and the server secrets, read by `main` and again on
	 * SIGHUP (the secrets); handlers see them through the const views */
	struct config config;
	struct token_keys secrets;
	const struct config *cfg;               /* &config */
	const struct token_keys *keys;          /* &secrets */
	struct store *store;
	struct authcache authcache;             /* who a token is (src/authcache.c) */
	struct usage usage;                     /* requests per key, not yet written */
	/* front mode (KEYFIN_UPSTREAM_KEY_FILE): the Jellyfin API key forwarded
	 * for an allowed keyfin key, and tokens known not to be keyfin's (they
	 * go on to Jellyfin) or known to be revoked or expired keyfin keys */
	struct front_upstream upstream;
	struct authcache front_unknown;
	struct authcache front_gone;
	char server_id[STORE_ID_LEN + 1];       /* "" until first read */
	char hostname[256];
};

/* The server Id (the same on every instance: it lives in the database).
 * Returns NULL while the database cannot be reached. */
const char *app_server_id(struct app *app);

#endif
