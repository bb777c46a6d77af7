/*
 * authhdr: the pure parser for Jellyfin's `Authorization` header value.
 *
 * No I/O and no allocation: the caller hands in the header value and a
 * scratch buffer; decoded values are written into that buffer and the result
 * points into it.  Semantics follow Jellyfin 10.11's AuthorizationContext
 * (GetAuthorizationDictionary + GetParts), see docs/jellyfin-compat.md s.2:
 *
 *   - scheme = text before the first space; `MediaBrowser` (any case) always,
 *     `Emby` (any case) only when `allow_emby_scheme`; anything else yields
 *     AUTHHDR_NO_SCHEME and no fields.
 *   - params are `Name=Value` separated by `,`; `"` toggles quoting, inside
 *     quotes `,` and `=` are literal; no backslash escapes.
 *   - names are trimmed of whitespace and matched case-sensitively; values
 *     are trimmed of `"` only, then URL-decoded (`+` -> space, `%xx` -> byte,
 *     malformed `%` left as it is).  The last duplicate wins.
 */
#ifndef KEYFIN_AUTHHDR_H
#define KEYFIN_AUTHHDR_H

#include <stdbool.h>
#include <stddef.h>

/* Longest header value looked at; a longer one is refused whole. */
#define AUTHHDR_MAX_INPUT 8192

enum authhdr_status {
	AUTHHDR_OK = 0,         /* scheme accepted, params parsed */
	AUTHHDR_NO_SCHEME,      /* empty, no space, or another scheme */
	AUTHHDR_TOO_LONG,       /* input over AUTHHDR_MAX_INPUT or scratch full */
};

/* A decoded value: `ptr` points into the caller's scratch buffer and is
 * NUL-terminated there; `present` tells an empty value from a missing one.
 * A decoded value may contain NUL bytes (from %00): use `len`. */
struct authhdr_value {
	const char *ptr;
	size_t len;
	bool present;
};

struct authhdr {
	struct authhdr_value token;
	struct authhdr_value client;
	struct authhdr_value device;
	struct authhdr_value device_id;
	struct authhdr_value version;
	struct authhdr_value user_id;
};

/*
 * Parse `len` bytes of `value` (need not be NUL-terminated).  `scratch` must
 * hold at least `len + 1` bytes... more precisely every decoded value plus a
 * NUL each; AUTHHDR_MAX_INPUT * 2 is always enough.  `out` is cleared first,
 * so on any status other than AUTHHDR_OK every field is absent.
 */
enum authhdr_status authhdr_parse(const char *value, size_t len,
				  bool allow_emby_scheme,
				  char *scratch, size_t scratch_len,
				  struct authhdr *out);

/*
 * URL-decode `len` bytes of `in` into `out` as WebUtility.UrlDecode does:
 * `+` -> space, `%xx` (hex, any case) -> that byte, anything else copied.
 * Returns the decoded length, or (size_t)-1 if `out_len` cannot hold it plus
 * a NUL.  Whenever `out_len > 0`, `out` is NUL-terminated (on failure it
 * holds the first `out_len - 1` decoded bytes).  Shared with the query parser.
 */
size_t authhdr_url_decode(const char *in, size_t len, char *out, size_t out_len);

/* The value of one hex digit (any case), or -1.  Shared with the path decoder. */
int authhdr_hex(unsigned char c);

/* True when every byte of the value is ASCII whitespace (and len > 0). */
bool authhdr_is_blank(const struct authhdr_value *v);

#endif
