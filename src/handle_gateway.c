/*
 * GET /keyfin/v1/verify: keyfin as the gate of any service, for nginx's
 * auth_request.  The subrequest carries the original request's headers;
 * its X-Original-URI (set by nginx/gateway.conf.example) brings the
 * original query, so a key in ?api_key= is found as on the Jellyfin API.
 *   204 + X-Keyfin-Key-Id, X-Keyfin-App   a valid API key
 *   401                                   none, unknown or revoked
 *   403                                   a user session, a key from an
 *                                         address or for a path it may not
 *                                         use (X-Original-Method and the
 *                                         path of X-Original-URI)
 *   503                                   the database is away
 */
#include "keyfin/handle.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void handle_verify(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	const char *original = http_param(r, "HTTP_X_ORIGINAL_URI");
	const char *method = http_param(r, "HTTP_X_ORIGINAL_METHOD");
	const char *query = "";
	char head[STORE_TEXT_MAX * 3 + 96], path[HTTP_PATH_MAX + 1];
	size_t path_len;
	int status;

	(void)arg;
	if (uri_parse(original ? original : "/", path, sizeof(path), &path_len, &query) != URI_OK) {
		http_respond_text(r, 400, "X-Original-URI is not a valid request target.");
		return;
	}
	auth_extract_query(c, r, app->cfg->legacy_authorization, original ? query : "");
	status = auth_require(app, c, AUTH_USER, method ? method : "GET", path);
	/* the gateway admits keys only, not sessions */
	if (status == 0 && c->who.kind != STORE_PRINCIPAL_KEY)
		status = 403;
	/* nginx's auth_request knows 401 and 403 only (anything else is a
	 * 500): a throttled address's unknown credential is refused */
	if (status == 429)
		status = 401;
	if (status != 0) {
		http_respond_empty(r, status);
		return;
	}
	/* the app name is clean text (checked when the key was made) */
	snprintf(head, sizeof(head), "X-Keyfin-Key-Id: %" PRId64 "\r\nX-Keyfin-App: %s\r\n",
		 c->who.id, c->who.client);
	http_header(r, head);
	http_respond_empty(r, 204);
}
