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
 *
 * Front mode (KEYFIN_UPSTREAM, nginx/front.conf.in) asks the same endpoint
 * with the FastCGI parameter KEYFIN_FRONT, which only nginx's internal
 * location sets (a client's headers arrive as HTTP_*): front_verify()
 * below, docs/front.md.
 */
#include "keyfin/handle.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "keyfin/front.h"
#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/scope.h"

static void front_verify(struct app *app, struct req *r, struct caller *c);

void handle_verify(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	const char *original = http_param(r, "HTTP_X_ORIGINAL_URI");
	const char *method = http_param(r, "HTTP_X_ORIGINAL_METHOD");
	const char *query = "";
	char head[STORE_TEXT_MAX * 3 + 96], path[HTTP_PATH_MAX + 1];
	size_t path_len;
	int status;

	(void)arg;
	if (http_param(r, "KEYFIN_FRONT") != NULL) {
		front_verify(app, r, c);
		return;
	}
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

/*
 * Front mode.  Answers nginx's auth_request for a request bound for
 * Jellyfin:
 *   401  a keyfin key revoked or expired
 *   403  a keyfin key outside its scopes or allowed addresses, or on a path
 *        it may not use (Jellyfin's key list; a path with dot segments);
 *        a keyfin user's session (it is for /keyfin/ only)
 *   503  the database is away (a token cannot be told apart); nginx's
 *        auth_request makes it a 500, which front.conf.in answers as 503
 *   204  go on, with
 *        X-Keyfin-Authorization-Mode: keep  the client's Authorization as it is
 *                                     set   X-Keyfin-Authorization instead
 *                                     none  no Authorization
 *        X-Keyfin-Uri: the target without api_key / ApiKey (only when the
 *        client's had one)
 * Every credential form Jellyfin 10.11 reads is read here (legacy on,
 * whatever KEYFIN_LEGACY_AUTHORIZATION says of keyfin's own API): the point
 * is to bridge them to a Jellyfin 12 that reads only Authorization.
 * nginx removes every other carrier (X-Emby-Authorization, X-Emby-Token,
 * X-MediaBrowser-Token) itself.
 */
#define FRONT_HEADER_MAX (AUTHHDR_MAX_INPUT * 3 + 256)

static void front_verify(struct app *app, struct req *r, struct caller *c)
{
	static char uri[HTTP_PATH_MAX * 4 + 2 * HTTP_PARAM_MAX + 64];
	static char value[FRONT_HEADER_MAX];
	static char line[FRONT_HEADER_MAX + 64];
	const char *original = http_param(r, "HTTP_X_ORIGINAL_URI");
	const char *method = http_param(r, "HTTP_X_ORIGINAL_METHOD");
	const char *authorization = http_param(r, "HTTP_AUTHORIZATION");
	const char *query = "", *mode = "none", *outcome;
	char path[HTTP_PATH_MAX + 1];
	size_t path_len = 0;
	bool path_ok, changed = false, has_authorization, mediabrowser, token_in_authorization;
	long n = 0;
	int status = 204;

	if (!app->upstream.loaded) {
		log_msg(LOG_ERROR, "front", "a front request, but front mode is off: "
			"set KEYFIN_UPSTREAM_KEY_FILE");
		http_respond_empty(r, 503);
		return;
	}
	if (original == NULL)
		original = "/";
	if (method == NULL)
		method = "GET";
	path_ok = uri_parse(original, path, sizeof(path), &path_len, &query) == URI_OK;
	auth_extract_query(c, r, true, query);

	has_authorization = authorization != NULL && authorization[0] != '\0';
	mediabrowser = has_authorization && front_scheme_is(authorization, "MediaBrowser");
	/* with a non-empty Authorization, c->hdr was read from it */
	token_in_authorization = has_authorization && c->token != NULL &&
				 c->hdr.token.present && c->token == c->hdr.token.ptr;

	if (c->token == NULL || c->token_blank) {
		/* no token: Jellyfin decides (its login, Ping, public info, web
		 * app); its client fields reach it, converted when they came in
		 * a legacy form */
		outcome = "anonymous";
		if (has_authorization && (mediabrowser || !front_scheme_is(authorization, "Emby")))
			mode = "keep";
		else if ((n = front_authorization(value, sizeof(value), NULL, 0, &c->hdr)) > 0)
			mode = "set";
	} else {
		switch (auth_front_resolve(app, c)) {
		case AUTH_FRONT_UNKNOWN:
			/* Jellyfin's own session or key: the same token, in the
			 * one place Jellyfin 12 reads */
			outcome = "jellyfin";
			if (mediabrowser && token_in_authorization)
				mode = "keep";
			else if ((n = front_authorization(value, sizeof(value), c->token,
							  c->token_len, &c->hdr)) > 0)
				mode = "set";
			else
				status = 403;   /* more than a header can hold */
			break;
		case AUTH_FRONT_KEY:
			outcome = "key";
			if (!path_ok || front_path_ambiguous(path, path_len) ||
			    front_path_is_key_list(path, path_len) || !c->who.address_allowed ||
			    !scope_allows(c->who.scopes, method, path)) {
				status = 403;
			} else if ((n = front_authorization(value, sizeof(value), app->upstream.key,
							    app->upstream.len, &c->hdr)) > 0) {
				mode = "set";
			} else {
				status = 403;
			}
			break;
		case AUTH_FRONT_SESSION:
			outcome = "session";
			status = 403;
			break;
		case AUTH_FRONT_GONE:
			outcome = "gone";
			status = 401;
			break;
		case AUTH_FRONT_UNAVAILABLE:
		default:
			outcome = "unavailable";
			status = 503;
			break;
		}
	}
	if (status == 401 || status == 403)
		metrics_auth_failure(status);
	if (status != 204) {
		log_msg(LOG_DEBUG, "front", "refused (%s): %d", outcome, status);
		sodium_memzero(value, sizeof(value));
		http_respond_empty(r, status);
		return;
	}

	/* the header (the upstream key in it, for a keyfin key) goes to nginx
	 * only: auth_request hands the client none of this answer */
	snprintf(line, sizeof(line), "X-Keyfin-Authorization-Mode: %s\r\n", mode);
	http_header(r, line);
	if (strcmp(mode, "set") == 0) {
		snprintf(line, sizeof(line), "X-Keyfin-Authorization: %s\r\n", value);
		http_header(r, line);
	}
	if (front_strip_uri(original, uri, sizeof(uri), &changed) < 0) {
		sodium_memzero(value, sizeof(value));
		sodium_memzero(line, sizeof(line));
		http_respond_empty(r, 403);     /* longer than nginx takes anyway */
		return;
	}
	if (changed) {
		http_header(r, "X-Keyfin-Uri: ");
		http_header(r, uri);
		http_header(r, "\r\n");
	}
	if (c->resolved && c->who.kind == STORE_PRINCIPAL_KEY) {
		/* the app name is clean text (checked when the key was made) */
		snprintf(line, sizeof(line), "X-Keyfin-Key-Id: %" PRId64 "\r\nX-Keyfin-App: %s\r\n",
			 c->who.id, c->who.client);
		http_header(r, line);
	}
	http_respond_empty(r, 204);
	sodium_memzero(value, sizeof(value));
	sodium_memzero(line, sizeof(line));
	sodium_memzero(uri, sizeof(uri));
}
