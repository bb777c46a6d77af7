/*
 * authhdr: Jellyfin's `Authorization` header, parsed the way Jellyfin 10.11
 * parses it (AuthorizationContext.GetAuthorization + GetParts), quirks
 * included, because clients are tested against that parser and not against
 * any RFC.  See include/keyfin/authhdr.h and docs/jellyfin-compat.md s.2.
 *
 * Input is bytes with a length: a NUL byte is an ordinary byte here, and
 * nothing reads past `len`.
 */
#include "keyfin/authhdr.h"

#include <stddef.h>
#include <string.h>

/* The six names keyfin uses; every other name is parsed and dropped. */
static const struct {
	const char *name;
	size_t offset;
} authhdr_fields[] = {
	{ "Token",    offsetof(struct authhdr, token) },
	{ "Client",   offsetof(struct authhdr, client) },
	{ "Device",   offsetof(struct authhdr, device) },
	{ "DeviceId", offsetof(struct authhdr, device_id) },
	{ "Version",  offsetof(struct authhdr, version) },
	{ "UserId",   offsetof(struct authhdr, user_id) },
};

struct authhdr_parser {
	char *scratch;
	size_t scratch_len;
	size_t used;            /* bytes of scratch taken so far */
	struct authhdr *out;
};

/* The ASCII part of .NET's char.IsWhiteSpace, which String.Trim() uses.
 * Non-ASCII spaces (U+00A0...) arrive as UTF-8 bytes and are not trimmed;
 * no name keyfin keeps could match with them anyway. */
static bool authhdr_is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

int authhdr_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Locale-independent, and safe with NUL bytes, unlike strncasecmp(). */
static bool authhdr_ascii_ieq(const char *s, size_t len, const char *lit)
{
	size_t i;

	if (len != strlen(lit))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char a = (unsigned char)s[i], b = (unsigned char)lit[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

static struct authhdr_value *authhdr_field(struct authhdr *out,
					   const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(authhdr_fields) / sizeof(authhdr_fields[0]); i++) {
		if (strlen(authhdr_fields[i].name) == len &&
		    memcmp(authhdr_fields[i].name, name, len) == 0)
			return (struct authhdr_value *)((char *)out +
							authhdr_fields[i].offset);
	}
	return NULL;
}

/*
 * Store one `name=value` pair: the value is trimmed of `"` only (so spaces
 * next to a quote survive, as in Jellyfin) and URL-decoded into scratch.
 * Returns false only when scratch is full.
 */
static bool authhdr_emit(struct authhdr_parser *p, const char *name,
			 size_t name_len, const char *v, size_t vlen)
{
	struct authhdr_value *field = authhdr_field(p->out, name, name_len);
	char *dst;
	size_t n;

	if (field == NULL)
		return true;
	if (p->used == p->scratch_len)
		return false;   /* also keeps NULL + 0 out of a NULL scratch */
	dst = p->scratch + p->used;
	while (vlen > 0 && v[0] == '"') {
		v++;
		vlen--;
	}
	while (vlen > 0 && v[vlen - 1] == '"')
		vlen--;
	n = authhdr_url_decode(v, vlen, dst, p->scratch_len - p->used);
	if (n == (size_t)-1)
		return false;
	/* A duplicate leaves its older value unused in scratch: the header
	 * promises 2 * input is enough, which still holds. */
	field->ptr = dst;
	field->len = n;
	field->present = true;
	p->used += n + 1;
	return true;
}

/*
 * GetParts, step for step.  The quirks are on purpose: a `,` that closes an
 * empty segment keeps the current name (so `Token=,abc` sets Token), and
 * every unquoted `=` starts a new name (so `Token=ab=cd` sets `ab`).
 */
static bool authhdr_parts(struct authhdr_parser *p, const char *s, size_t len)
{
	const char *name = s;
	size_t name_len = 0, start = 0, i;
	bool quoted = false;

	for (i = 0; i < len; i++) {
		if (s[i] == '"') {
			quoted = !quoted;
		} else if (s[i] == ',' && !quoted) {
			if (start < i) {
				if (!authhdr_emit(p, name, name_len, s + start,
						  i - start))
					return false;
				name_len = 0;
			}
			start = i + 1;
		} else if (s[i] == '=' && !quoted) {
			name = s + start;
			name_len = i - start;
			while (name_len > 0 && authhdr_is_space((unsigned char)name[0])) {
				name++;
				name_len--;
			}
			while (name_len > 0 &&
			       authhdr_is_space((unsigned char)name[name_len - 1]))
				name_len--;
			start = i + 1;
		}
	}
	if (start < len)
		return authhdr_emit(p, name, name_len, s + start, len - start);
	return true;
}

enum authhdr_status authhdr_parse(const char *value, size_t len,
				  bool allow_emby_scheme,
				  char *scratch, size_t scratch_len,
				  struct authhdr *out)
{
	struct authhdr_parser p = { scratch, scratch_len, 0, out };
	const char *space;
	size_t scheme_len;

	memset(out, 0, sizeof(*out));
	if (len > AUTHHDR_MAX_INPUT)
		return AUTHHDR_TOO_LONG;
	/* Only a space ends the scheme, not a tab: IndexOf(' '). */
	space = len > 0 ? memchr(value, ' ', len) : NULL;
	if (space == NULL)
		return AUTHHDR_NO_SCHEME;
	scheme_len = (size_t)(space - value);
	if (!authhdr_ascii_ieq(value, scheme_len, "MediaBrowser") &&
	    !(allow_emby_scheme && authhdr_ascii_ieq(value, scheme_len, "Emby")))
		return AUTHHDR_NO_SCHEME;
	if (!authhdr_parts(&p, space + 1, len - scheme_len - 1)) {
		memset(out, 0, sizeof(*out));
		return AUTHHDR_TOO_LONG;
	}
	return AUTHHDR_OK;
}

/*
 * WebUtility.UrlDecode on bytes: `%` needs two hex digits after it, else it
 * is copied as it is.  Decoded bytes are not checked as UTF-8 (.NET would
 * turn invalid UTF-8 into U+FFFD); text that is stored is checked elsewhere.
 */
size_t authhdr_url_decode(const char *in, size_t len, char *out, size_t out_len)
{
	size_t i, n = 0;

	if (out_len == 0)
		return (size_t)-1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < len) {
			int hi = authhdr_hex((unsigned char)in[i + 1]);
			int lo = authhdr_hex((unsigned char)in[i + 2]);

			if (hi >= 0 && lo >= 0) {
				c = (unsigned char)(hi << 4 | lo);
				i += 2;
			}
		}
		if (n == out_len - 1) {
			out[n] = '\0';
			return (size_t)-1;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

bool authhdr_is_blank(const struct authhdr_value *v)
{
	size_t i;

	if (!v->present || v->len == 0)
		return false;
	for (i = 0; i < v->len; i++) {
		if (!authhdr_is_space((unsigned char)v->ptr[i]))
			return false;
	}
	return true;
}
