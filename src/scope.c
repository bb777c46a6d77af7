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

static bool reads(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* `path` is the scope's path prefix `s` (`len` bytes) or below it. */
static bool under(const char *path, const char *s, size_t len)
{
	size_t plen = strlen(path);

	while (len > 1 && s[len - 1] == '/')
		len--;          /* "/Items/" means "/Items" and below */
	/* the prefix, ending at a segment boundary: /Items is not /ItemsX */
	return plen >= len && strncasecmp(path, s, len) == 0 &&
	       (plen == len || path[len] == '/' || len == 1);
}

static bool allows(const char *s, size_t len, const void *ctx)
{
	const struct request_line *rl = ctx;

	if (len == 5 && strncmp(s, "admin", 5) == 0)
		return true;
	if (len == 4 && strncmp(s, "read", 4) == 0)
		return reads(rl->method);
	/* "GET /Items": reading that path and below, nothing else */
	if (len > 4 && strncmp(s, "GET /", 5) == 0)
		return reads(rl->method) && under(rl->path, s + 4, len - 4);
	return s[0] == '/' && under(rl->path, s, len);
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
	if (strncmp(scope, "GET /", 5) == 0) {
		scope += 4;
		len -= 4;
	}
	if (scope[0] != '/')
		return "a scope is admin, read, a path starting with /, GET and such a path, "
		       "or preset:NAME";
	if (len > SCOPE_MAX_LEN || !text_is_clean(scope, len) || strchr(scope, '?') != NULL)
		return "a path scope is at most 200 characters of text, without a query";
	return NULL;
}

/* Jellyfin's API areas and what the integrations keyfin knows call
 * (docs/compatibility.md, "Endpoints integrations call"; docs/front.md). */
static const char *const preset_admin[] = { "admin", NULL };
static const char *const preset_library_read[] = {
	"GET /Items", "GET /Users", "GET /UserViews", "GET /Library", "GET /Genres",
	"GET /MusicGenres", "GET /Artists", "GET /Persons", "GET /Studios", "GET /Shows",
	"GET /Movies", "GET /Search", "GET /Collections", "GET /Playlists", "GET /System/Info",
	NULL,
};
static const char *const preset_playback[] = {
	"GET /Items", "/Items", "GET /Users", "/UserItems", "/UserPlayedItems",
	"/UserFavoriteItems", "GET /UserViews", "/Videos", "/Audio", "GET /Shows",
	"/Sessions", "/socket", "GET /MediaSegments", "GET /Branding", "GET /System/Info",
	"/DisplayPreferences", NULL,
};
static const char *const preset_heimdall[] = { "GET /System/Info", "GET /Items/Counts", NULL };
static const char *const preset_homepage[] = {
	"GET /System/Info", "/Sessions", "GET /Items/Counts", NULL,
};
static const char *const preset_sonarr[] = {
	"GET /System/Info", "GET /System/Configuration", "/Notifications/Admin",
	"/Library/Media/Updated", "GET /Items", NULL,
};
static const char *const preset_organizr[] = { "GET /Users", "GET /Sessions", NULL };

static const struct {
	const char *name;
	const char *const *scopes;
} presets[] = {
	{ "jellyfin-admin", preset_admin },
	{ "jellyfin-library-read", preset_library_read },
	{ "jellyfin-playback", preset_playback },
	{ "heimdall", preset_heimdall },
	{ "homepage", preset_homepage },
	{ "sonarr", preset_sonarr },
	{ "radarr", preset_sonarr },
	{ "organizr", preset_organizr },
};

const char *const *scope_preset(const char *scope)
{
	if (strncmp(scope, "preset:", 7) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(scope + 7, presets[i].name) == 0)
			return presets[i].scopes;
	return NULL;
}
