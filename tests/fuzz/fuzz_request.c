/*
 * libFuzzer target: FastCGI parameters -> struct req -> credentials
 * (src/http.c http_req_init, src/uri.c, src/render.c render_wants_camel,
 * then src/auth.c auth_extract with legacy authorization on and off, which
 * uses src/authhdr.c and uri_query).  auth.c's calls into the store, the
 * throttle, metrics and the log are stubs that abort
 * (fuzz_request_stubs.c): auth_extract must reach none of them.
 *
 * Input layout: lines (split at '\n'), each NAME=VALUE, become the
 * request's parameters in order, as libfcgi keeps them ("NAME=VALUE"
 * strings in FCGX_Request.envp; the first of a name wins); a line without
 * '=' is skipped.  Each is an exact-size heap copy, so ASan sees any read
 * past a value.
 *
 * Properties besides "no crash":
 *   - http_req_init: URI_OK, URI_BAD or URI_TOO_LONG; the path starts with
 *     '/', is NUL-terminated at path_len <= HTTP_PATH_MAX, and is "/" on an
 *     error; method is REQUEST_METHOD or "GET"; remote_addr is REMOTE_ADDR;
 *     query points into REQUEST_URI just after its first '?' (or is "");
 *     camel_case is render_wants_camel(HTTP_ACCEPT);
 *   - auth_extract: a token found has a length > 0 and lies wholly inside
 *     the caller's scratch (NUL-terminated at its length), its query_token
 *     (likewise, unless cut at HTTP_PARAM_MAX), or the value of the
 *     parameter it came from; with legacy off it never comes from
 *     X-Emby-Token / X-MediaBrowser-Token, X-Emby-Authorization or
 *     ?api_key=; token_blank is authhdr_is_blank() of it; Authorization
 *     wins over every other place when it gives a token.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/auth.h"
#include "keyfin/http.h"
#include "keyfin/render.h"
#include "fuzz_check.h"

#define MAX_PARAMS 64

/* The value of the first parameter `name`, as FCGX_GetParam finds it. */
static const char *param(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

static bool inside(const char *p, size_t len, const char *start, size_t size)
{
	return start != NULL && p >= start && p <= start + size && len <= (size_t)(start + size - p);
}

static bool inside_value(const char *p, size_t len, const char *value)
{
	return value != NULL && inside(p, len, value, strlen(value));
}

static void check_auth(const struct req *r, char **envp, bool legacy)
{
	struct caller *c = malloc(sizeof(*c));
	const char *authz = param(envp, "HTTP_AUTHORIZATION");
	const char *emby_token = param(envp, "HTTP_X_EMBY_TOKEN");
	const char *mb_token = param(envp, "HTTP_X_MEDIABROWSER_TOKEN");

	CHECK(c != NULL);
	memset(c, 0x5a, sizeof(*c));
	auth_extract(c, r, legacy);
	CHECK(c->remote_addr == r->remote_addr);
	CHECK(!c->resolved);
	if (c->token == NULL) {
		CHECK(c->token_len == 0 && !c->token_blank);
		free(c);
		return;
	}
	CHECK(c->token_len > 0);
	CHECK(c->token_blank ==
	      authhdr_is_blank(&(struct authhdr_value){ c->token, c->token_len, true }));
	if (inside(c->token, c->token_len, c->scratch, sizeof(c->scratch))) {
		/* from a parsed Authorization (or X-Emby-Authorization) header */
		CHECK(c->hdr.token.present && c->hdr.token.ptr == c->token &&
		      c->hdr.token.len == c->token_len);
		CHECK(c->token + c->token_len < c->scratch + sizeof(c->scratch));
		CHECK(c->token[c->token_len] == '\0');
		if (!legacy)
			CHECK(authz != NULL && authz[0] != '\0');
	} else if (inside(c->token, c->token_len, c->query_token, sizeof(c->query_token))) {
		CHECK(c->token == c->query_token && c->token_len <= HTTP_PARAM_MAX);
		if (c->token_len < HTTP_PARAM_MAX)
			CHECK(c->token[c->token_len] == '\0');
		/* Authorization had no token to give */
		CHECK(!c->hdr.token.present || c->hdr.token.len == 0);
	} else {
		/* a header taken whole: only the legacy ones */
		CHECK(legacy);
		CHECK((emby_token != NULL && c->token == emby_token &&
		       c->token_len == strlen(emby_token)) ||
		      (mb_token != NULL && c->token == mb_token &&
		       c->token_len == strlen(mb_token)));
		CHECK(!c->hdr.token.present || c->hdr.token.len == 0);
	}
	/* with legacy off, nothing of the Emby era is read */
	if (!legacy) {
		CHECK(!inside_value(c->token, c->token_len, emby_token));
		CHECK(!inside_value(c->token, c->token_len, mb_token));
	}
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *envp[MAX_PARAMS + 1];
	size_t n = 0, start = 0;
	FCGX_Request fcgx;
	struct req *r;
	enum uri_status st;
	const char *uri, *method;

	/* split into NAME=VALUE strings, each in its own exact-size copy */
	while (start < size && n < MAX_PARAMS) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - start;

		if (memchr(data + start, '=', len) != NULL &&
		    memchr(data + start, '\0', len) == NULL) {
			envp[n] = malloc(len + 1);
			CHECK(envp[n] != NULL);
			memcpy(envp[n], data + start, len);
			envp[n][len] = '\0';
			n++;
		}
		start = end + 1;
	}
	envp[n] = NULL;

	memset(&fcgx, 0, sizeof(fcgx));
	fcgx.envp = envp;
	r = malloc(sizeof(*r));
	CHECK(r != NULL);
	memset(r, 0x5a, sizeof(*r));
	st = http_req_init(r, &fcgx);
	CHECK(st == URI_OK || st == URI_BAD || st == URI_TOO_LONG);
	CHECK(r->fcgx == &fcgx);
	CHECK(r->path_len >= 1 && r->path_len <= HTTP_PATH_MAX);
	CHECK(r->path[0] == '/' && strnlen(r->path, sizeof(r->path)) == r->path_len);
	if (st != URI_OK)
		CHECK(strcmp(r->path, "/") == 0);
	method = param(envp, "REQUEST_METHOD");
	CHECK(r->method == (method ? method : r->method) && r->method != NULL);
	if (method == NULL)
		CHECK(strcmp(r->method, "GET") == 0);
	CHECK(r->remote_addr == param(envp, "REMOTE_ADDR"));
	CHECK(r->camel_case == render_wants_camel(param(envp, "HTTP_ACCEPT")));
	uri = param(envp, "REQUEST_URI");
	if (uri != NULL && strchr(uri, '?') != NULL)
		CHECK(r->query == strchr(uri, '?') + 1);
	else
		CHECK(r->query[0] == '\0');
	CHECK(r->body == NULL && r->deferred == NULL && !r->defer);

	check_auth(r, envp, true);
	check_auth(r, envp, false);

	http_req_release(r);
	free(r);
	for (size_t i = 0; i < n; i++)
		free(envp[i]);
	return 0;
}
