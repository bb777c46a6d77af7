/*
 * front: the pure part of front mode (include/keyfin/front.h), and the
 * upstream key's file.
 */
#include "keyfin/front.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "keyfin/privfile.h"

static bool front_key_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

int front_upstream_load(struct front_upstream *up, const char *file, char *err, size_t err_len)
{
	char buf[FRONT_KEY_MAX + 8];
	ssize_t n;
	size_t len;

	memset(up, 0, sizeof(*up));
	n = privfile_read(file, "KEYFIN_UPSTREAM_KEY_FILE", buf, sizeof(buf), err, err_len);
	if (n < 0)
		return -1;
	len = (size_t)n;
	/* one line end after the key, no more */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (!front_key_char((unsigned char)buf[i])) {
			len = 0;
			break;
		}
	}
	if (len == 0 || len > FRONT_KEY_MAX) {
		sodium_memzero(buf, sizeof(buf));
		snprintf(err, err_len, "KEYFIN_UPSTREAM_KEY_FILE %s must hold one Jellyfin API key "
			 "(made in Jellyfin's dashboard: Administration, API Keys) and nothing else",
			 file);
		return -1;
	}
	memcpy(up->key, buf, len);
	up->key[len] = '\0';
	up->len = len;
	up->loaded = true;
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

int front_upstream_reload(struct front_upstream *up, const char *file, char *err, size_t err_len)
{
	struct front_upstream fresh;

	if (file == NULL || file[0] == '\0')
		return 0;       /* front mode is off */
	if (front_upstream_load(&fresh, file, err, err_len) != 0)
		return -1;
	*up = fresh;
	sodium_memzero(&fresh, sizeof(fresh));
	return 0;
}

/* Is this query parameter (its raw name, `len` bytes) api_key or ApiKey? */
static bool is_key_param(const char *name, size_t len)
{
	char decoded[16];
	size_t n;

	if (len >= 3 * sizeof(decoded))
		return false;   /* longer than any spelling of the two names */
	n = authhdr_url_decode(name, len, decoded, sizeof(decoded));
	if (n == (size_t)-1)
		return false;
	return (n == 7 && strncasecmp(decoded, "api_key", 7) == 0) ||
	       (n == 6 && strncasecmp(decoded, "apikey", 6) == 0);
}

long front_strip_uri(const char *uri, char *out, size_t out_len, bool *changed)
{
	const char *q = strchr(uri, '?');
	size_t head = q ? (size_t)(q - uri) : strlen(uri), o;
	const char *p;
	bool first = true;

	*changed = false;
	if (head + 1 > out_len)
		return -1;
	memcpy(out, uri, head);
	o = head;
	if (q == NULL) {
		out[o] = '\0';
		return (long)o;
	}
	for (p = q + 1;;) {
		const char *amp = strchr(p, '&');
		size_t pair = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', pair);
		size_t name = eq ? (size_t)(eq - p) : pair;

		if (is_key_param(p, name)) {
			*changed = true;
		} else {
			/* "?" before the first kept one, "&" between: empty
			 * pieces ("a&&b") are kept as they were */
			if (o + 1 + pair + 1 > out_len)
				return -1;
			out[o++] = first ? '?' : '&';
			memcpy(out + o, p, pair);
			o += pair;
			first = false;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	if (!*changed) {
		/* byte for byte, "?" with nothing after it included */
		size_t all = strlen(uri);

		if (all + 1 > out_len)
			return -1;
		memcpy(out, uri, all + 1);
		return (long)all;
	}
	out[o] = '\0';
	return (long)o;
}

bool front_path_ambiguous(const char *path, size_t len)
{
	size_t i, start;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c == '\\' || c == '\0')
			return true;
		/* U+0131 and U+017F: ToUpperInvariant makes them I and S */
		if (i + 1 < len && ((c == 0xC4 && (unsigned char)path[i + 1] == 0xB1) ||
				    (c == 0xC5 && (unsigned char)path[i + 1] == 0xBF)))
			return true;
	}
	if (len == 1 && path[0] == '/')
		return false;
	for (start = 0; start < len; start = i) {
		size_t seg;

		if (path[start] != '/')
			return true;    /* not a path uri_parse() made */
		for (i = start + 1; i < len && path[i] != '/'; i++)
			;
		seg = i - start - 1;
		if (seg == 0 || (seg == 1 && path[start + 1] == '.') ||
		    (seg == 2 && path[start + 1] == '.' && path[start + 2] == '.'))
			return true;
	}
	return false;
}

static bool segment_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(s, word, len) == 0;
}

bool front_path_is_key_list(const char *path, size_t len)
{
	const char *prev = NULL;
	size_t prev_len = 0, i = 0;

	while (i < len) {
		size_t start, seg;

		while (i < len && path[i] == '/')
			i++;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		seg = i - start;
		if (seg == 0)
			break;
		if (prev != NULL && segment_is(prev, prev_len, "auth") &&
		    segment_is(path + start, seg, "keys"))
			return true;
		prev = path + start;
		prev_len = seg;
	}
	return false;
}

static bool unreserved(unsigned char c)
{
	return front_key_char(c) || c == '~';
}

/* `, Name="value"` (or without the comma first), value percent-encoded. */
static bool put_field(char *out, size_t out_len, size_t *o, const char *name,
		      const char *value, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = strlen(name) + 5;

	if (*o > 0)
		need += 2;
	if (*o + need >= out_len)
		return false;
	if (*o > 0) {
		out[(*o)++] = ',';
		out[(*o)++] = ' ';
	}
	memcpy(out + *o, name, strlen(name));
	*o += strlen(name);
	out[(*o)++] = '=';
	out[(*o)++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (*o + 4 >= out_len)
			return false;
		if (unreserved(c)) {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		}
	}
	if (*o + 2 >= out_len)
		return false;
	out[(*o)++] = '"';
	out[*o] = '\0';
	return true;
}

long front_authorization(char *out, size_t out_len, const char *token, size_t token_len,
			 const struct authhdr *fields)
{
	static const char scheme[] = "MediaBrowser ";
	const struct {
		const char *name;
		const struct authhdr_value *v;
	} keep[] = {
		{ "Client", &fields->client },
		{ "Device", &fields->device },
		{ "DeviceId", &fields->device_id },
		{ "Version", &fields->version },
	};
	size_t o = 0, base = sizeof(scheme) - 1;
	char *params;

	if (out_len <= base)
		return -1;
	memcpy(out, scheme, base);
	params = out + base;
	if (token != NULL && !put_field(params, out_len - base, &o, "Token", token, token_len))
		return -1;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (!keep[i].v->present)
			continue;
		if (!put_field(params, out_len - base, &o, keep[i].name, keep[i].v->ptr,
			       keep[i].v->len))
			return -1;
	}
	if (o == 0) {
		out[0] = '\0';
		return 0;
	}
	return (long)(base + o);
}

bool front_scheme_is(const char *value, const char *scheme)
{
	const char *space = strchr(value, ' ');
	size_t len = strlen(scheme);

	return space != NULL && (size_t)(space - value) == len && strncasecmp(value, scheme, len) == 0;
}
