/* app: what a worker keeps for its whole life (include/keyfin/app.h). */
#include "keyfin/app.h"

/* Read on first use and kept: the Id never changes once the database has
 * one.  A failed read is cleared (it may have written a part) so that the
 * next call asks again. */
const char *app_server_id(struct app *app)
{
	if (app->server_id[0] == '\0' &&
	    store_server_id(app->store, app->server_id) != STORE_OK) {
		app->server_id[0] = '\0';
		return NULL;
	}
	return app->server_id;
}
