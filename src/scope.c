#include "keyfin/scope.h"

#include <string.h>
#include <strings.h>

#include "keyfin/text.h"

/* Calls `each` with every scope of `scopes` (not NUL-terminated: a length). */
static bool any_scope(const char *scopes, bool (*each)(const char *s, size_t len, const void *ctx),
		      const void *ctx)
{
	while (*scopes) {
		const char *nl = strchr(scopes, '\n');
		size_t len = nl ? (size_t)(nl - scopes) : strlen(scopes);

		if (len > 0 && each(scopes, len, ctx))
			return true;
		scopes += len + (nl != NULL);
	}
	return false;
}

static bool is_admin_scope(const char *s, size_t len, const void *ctx)
{
	(void)ctx;
	return len == 5 && strncmp(s, "admin", 5) == 0;
}

bool scope_is_admin(const char *scopes)
{
	return scopes[0] == '\0' || any_scope(scopes, is_admin_scope, NULL);
}

struct request_line {
	const char *method, *path;
};

static bool allows(const char *s, size_t len, const void *ctx)
{
	const struct request_line *rl = ctx;
	size_t plen = strlen(rl->path);

	if (len == 5 && strncmp(s, "admin", 5) == 0)
		return true;
	if (len == 4 && strncmp(s, "read", 4) == 0)
		return strcmp(rl->method, "GET") == 0 || strcmp(rl->method, "HEAD") == 0;
	if (s[0] != '/')
		return false;
	while (len > 1 && s[len - 1] == '/')
		len--;          /* "/Items/" means "/Items" and below */
	/* the prefix, ending at a segment boundary: /Items is not /ItemsX */
	return plen >= len && strncasecmp(rl->path, s, len) == 0 &&
	       (plen == len || rl->path[len] == '/' || len == 1);
}

bool scope_allows(const char *scopes, const char *method, const char *path)
{
	struct request_line rl = { method, path };

	return scopes[0] == '\0' || any_scope(scopes, allows, &rl);
}

const char *scope_problem(const char *scope)
{
	size_t len = strlen(scope);

	if (strcmp(scope, "admin") == 0 || strcmp(scope, "read") == 0)
		return NULL;
	if (scope[0] != '/')
		return "a scope is admin, read, or a path starting with /";
	if (len > SCOPE_MAX_LEN || !text_is_clean(scope, len) || strchr(scope, '?') != NULL)
		return "a path scope is at most 200 characters of text, without a query";
	return NULL;
}
