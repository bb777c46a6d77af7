/*
 * app: what one worker process holds for its whole life, shared by every
 * handler: the settings, the token keys, its database connection.
 */
#ifndef KEYFIN_APP_H
#define KEYFIN_APP_H

#include <stdbool.h>

#include "keyfin/config.h"
#include "keyfin/store.h"
#include "keyfin/token.h"

struct app {
	const struct config *cfg;
	const struct token_keys *keys;
	struct store *store;
	char server_id[STORE_ID_LEN + 1];       /* "" until first read */
	char hostname[256];
};

/* The server Id (the same on every instance: it lives in the database).
 * Returns NULL while the database cannot be reached. */
const char *app_server_id(struct app *app);

#endif
