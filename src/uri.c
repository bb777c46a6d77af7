/*
 * uri: the request target, taken apart with explicit limits.  Pure: no I/O,
 * no allocation, so it can be unit-tested and fuzzed on its own.
 */
#include "keyfin/uri.h"

#include <string.h>
#include <strings.h>

#include "keyfin/authhdr.h"

/* Decode a path (no '+' rule in paths); refuse NUL, which nothing may hold. */
static enum uri_status decode_path(const char *in, size_t len, char *out,
				   size_t out_len, size_t *written)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		int hi = i + 2 < len ? authhdr_hex((unsigned char)in[i + 1]) : -1;
		int lo = i + 2 < len ? authhdr_hex((unsigned char)in[i + 2]) : -1;

		if (c == '%' && hi >= 0 && lo >= 0) {
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return URI_BAD;
		if (o + 1 >= out_len)
			return URI_TOO_LONG;
		out[o++] = c;
	}
	out[o] = '\0';
	*written = o;
	return URI_OK;
}

/* 10.11 strips a leading /emby or /mediabrowser segment whatever the
 * legacy setting (old Homepage versions call /emby/System/Info). */
static void strip_prefix(char *path, size_t *len)
{
	static const char *const prefixes[] = { "/emby", "/mediabrowser" };

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(prefixes[i]);

		if (*len >= n && strncasecmp(path, prefixes[i], n) == 0 &&
		    (path[n] == '/' || path[n] == '\0')) {
			memmove(path, path + n, *len - n + 1);
			*len -= n;
			if (*len == 0) {
				path[0] = '/';
				path[1] = '\0';
				*len = 1;
			}
			return;
		}
	}
}

enum uri_status uri_parse(const char *uri, char *path, size_t path_size,
			  size_t *path_len, const char **query)
{
	const char *q = strchr(uri, '?');
	size_t len = q ? (size_t)(q - uri) : strlen(uri);
	enum uri_status rc;

	*query = q ? q + 1 : "";
	rc = decode_path(uri, len, path, path_size, path_len);
	if (rc == URI_OK && (*path_len == 0 || path[0] != '/'))
		rc = URI_BAD;
	if (rc != URI_OK) {
		strcpy(path, "/");
		*path_len = 1;
		return rc;
	}
	strip_prefix(path, path_len);
	while (*path_len > 1 && path[*path_len - 1] == '/')
		path[--*path_len] = '\0';
	return URI_OK;
}

long uri_query(const char *query, const char *name, char *out, size_t out_len)
{
	size_t name_len = strlen(name);
	const char *p = query;

	while (*p) {
		const char *amp = strchr(p, '&');
		size_t pair_len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', pair_len);
		size_t key_len = eq ? (size_t)(eq - p) : pair_len;
		char key[128];
		size_t k = authhdr_url_decode(p, key_len, key, sizeof(key));

		if (k != (size_t)-1 && k == name_len && strncasecmp(key, name, k) == 0) {
			const char *v = eq ? eq + 1 : p + pair_len;
			size_t vlen = eq ? pair_len - key_len - 1 : 0;
			size_t n = authhdr_url_decode(v, vlen, out, out_len);

			return n == (size_t)-1 ? URI_QUERY_TOO_LONG : (long)n;
		}
		p += pair_len;
		if (*p == '&')
			p++;
	}
	return URI_QUERY_ABSENT;
}
