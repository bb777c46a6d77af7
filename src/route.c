#include "keyfin/route.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "keyfin/handle.h"
#include "keyfin/metrics.h"
#include "keyfin/revhold.h"

struct route {
	const char *method;
	const char *pattern;
	enum auth_level level;
	handler_fn *handle;
	/* REVOKES: can take a right away (delete a key or session, disable or
	 * demote a user, narrow a key, replace a device's session at login):
	 * the answer (unless a 4xx: nothing changed) leaves only once every
	 * worker has forgotten (src/revhold.h) */
	bool revokes;
};

#define REVOKES true

static const struct route routes[] = {
	{ "GET", "/System/Ping", AUTH_ANONYMOUS, handle_ping, false },
	{ "POST", "/System/Ping", AUTH_ANONYMOUS, handle_ping, false },
	{ "GET", "/health", AUTH_ANONYMOUS, handle_health, false },
	{ "GET", "/health/live", AUTH_ANONYMOUS, handle_health_live, false },
	{ "GET", "/health/ready", AUTH_ANONYMOUS, handle_health, false },
	{ "GET", "/metrics", AUTH_ANONYMOUS, handle_metrics, false },
	{ "GET", "/System/Info/Public", AUTH_ANONYMOUS, handle_info_public, false },
	{ "GET", "/System/Info", AUTH_USER, handle_info, false },
	{ "GET", "/Auth/Keys", AUTH_ADMIN, handle_keys_list, false },
	{ "POST", "/Auth/Keys", AUTH_ADMIN, handle_keys_create, false },
	{ "DELETE", "/Auth/Keys/*", AUTH_ADMIN, handle_keys_revoke, REVOKES },
	{ "POST", "/Users/AuthenticateByName", AUTH_ANONYMOUS, handle_authenticate, REVOKES },
	{ "GET", "/Users/Me", AUTH_USER, handle_users_me, false },
	{ "GET", "/Users", AUTH_ADMIN, handle_users_list, false },
	{ "GET", "/Users/Public", AUTH_ANONYMOUS, handle_users_public, false },
	{ "POST", "/Users/New", AUTH_ADMIN, handle_users_new, false },
	{ "GET", "/Users/*", AUTH_USER, handle_users_get, false },
	{ "DELETE", "/Users/*", AUTH_ADMIN, handle_users_delete, REVOKES },
	{ "POST", "/Users/*/Policy", AUTH_ADMIN, handle_users_policy, REVOKES },
	{ "POST", "/Users/*/Password", AUTH_USER, handle_users_password, REVOKES },
	{ "POST", "/Sessions/Logout", AUTH_USER, handle_logout, REVOKES },
	{ "GET", "/System/ActivityLog/Entries", AUTH_ADMIN, handle_activity, false },
	{ "GET", "/keyfin/v1/verify", AUTH_ANONYMOUS, handle_verify, false },
	{ "GET", "/keyfin/v1/keys", AUTH_ADMIN, handle_ext_list, false },
	{ "POST", "/keyfin/v1/keys", AUTH_ADMIN, handle_ext_create, false },
	{ "GET", "/keyfin/v1/keys/*", AUTH_ADMIN, handle_ext_get, false },
	{ "PATCH", "/keyfin/v1/keys/*", AUTH_ADMIN, handle_ext_update, REVOKES },
	{ "DELETE", "/keyfin/v1/keys/*", AUTH_ADMIN, handle_ext_delete, REVOKES },
	{ "POST", "/keyfin/v1/keys/*/roll", AUTH_ADMIN, handle_ext_roll, REVOKES },
	{ "GET", "/keyfin/v1/keys/*/usage", AUTH_ADMIN, handle_usage_key, false },
	{ "GET", "/keyfin/v1/usage", AUTH_ADMIN, handle_usage_all, false },
	{ "GET", "/keyfin/v1/sessions", AUTH_ADMIN, handle_sessions_list, false },
	{ "DELETE", "/keyfin/v1/sessions/*", AUTH_ADMIN, handle_sessions_delete, REVOKES },
};

#define ROUTE_COUNT (sizeof(routes) / sizeof(routes[0]))

/* Does `path` match `pattern`?  The `*` segment is copied into `arg`. */
static bool route_match(const char *pattern, const char *path, char *arg, size_t arg_len)
{
	while (*pattern == '/' && *path == '/') {
		const char *pend = strchr(pattern + 1, '/');
		const char *send = strchr(path + 1, '/');
		size_t plen = pend ? (size_t)(pend - pattern - 1) : strlen(pattern + 1);
		size_t slen = send ? (size_t)(send - path - 1) : strlen(path + 1);

		if (plen == 1 && pattern[1] == '*') {
			if (slen == 0 || slen >= arg_len)
				return false;
			memcpy(arg, path + 1, slen);
			arg[slen] = '\0';
		} else if (plen != slen || strncasecmp(pattern + 1, path + 1, plen) != 0) {
			return false;
		}
		pattern += 1 + plen;
		path += 1 + slen;
	}
	return *pattern == '\0' && *path == '\0';
}

/* Exact names win over `*`: /Users/Me is not /Users/{id}. */
static bool route_is_literal_match(const char *path)
{
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		char arg[1];

		if (strchr(routes[i].pattern, '*') == NULL &&
		    route_match(routes[i].pattern, path, arg, sizeof(arg)))
			return true;
	}
	return false;
}

const char *const *route_labels(size_t *count)
{
	static char labels[ROUTE_COUNT][64];
	static const char *names[ROUTE_COUNT];

	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%s %s", routes[i].method,
			 routes[i].pattern);
		names[i] = labels[i];
	}
	*count = ROUTE_COUNT;
	return names;
}

/*
 * A credential refused by the failed-credential throttle (src/throttle.c):
 * 429 with Retry-After.  Behind nginx/keyfin.conf.in, which names its
 * tarpit location in the KEYFIN_TARPIT parameter, nginx is asked to give
 * that answer instead (X-Accel-Redirect) and holds it back per address
 * (limit_req's delay: a timer in nginx, no worker), so a client flooding
 * bad tokens waits for its answers instead of taking the CPU valid clients
 * need.  Without the parameter (other nginx configurations, FastCGI
 * clients) the 429 goes out at once.
 */
static void throttled_headers(struct req *r, int retry_after)
{
	const char *tarpit = http_param(r, "KEYFIN_TARPIT");
	char line[128];

	snprintf(line, sizeof(line), "Retry-After: %d\r\n", retry_after);
	http_header(r, line);
	if (tarpit != NULL && tarpit[0] == '/' && strlen(tarpit) < 64 &&
	    strcspn(tarpit, "\r\n") == strlen(tarpit)) {
		snprintf(line, sizeof(line), "X-Accel-Redirect: %s/%d\r\n", tarpit, retry_after);
		http_header(r, line);
	}
}

void route_dispatch(struct app *app, struct req *r, struct caller *c,
		    const char **route_name, int *route_index)
{
	static char arg[HTTP_PATH_MAX + 1];
	char allow[64] = "";
	bool literal = route_is_literal_match(r->path);
	int status;

	*route_name = "unknown";
	*route_index = -1;
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		const struct route *rt = &routes[i];

		if (literal && strchr(rt->pattern, '*') != NULL)
			continue;
		if (!route_match(rt->pattern, r->path, arg, sizeof(arg)))
			continue;
		if (strcmp(rt->method, r->method) != 0) {
			if (strstr(allow, rt->method) == NULL)
				snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
					 "%s%s", allow[0] ? ", " : "", rt->method);
			*route_name = rt->pattern;
			continue;
		}
		*route_name = rt->pattern;
		*route_index = (int)i;
		auth_extract(c, r, app->cfg->legacy_authorization);
		status = auth_require(app, c, rt->level, r->method, r->path);
		if (status == 429)
			throttled_headers(r, c->retry_after);
		if (status != 0) {
			if (status == 401 || status == 403)
				metrics_auth_failure(status);
			http_respond_empty(r, status);
			return;
		}
		if (rt->revokes)
			revhold_begin(r);
		rt->handle(app, r, c, arg);
		if (rt->revokes)
			revhold_end(r, app->store);
		return;
	}
	if (allow[0] != '\0')
		http_respond_allow(r, allow);
	else
		http_respond_empty(r, 404);
}
