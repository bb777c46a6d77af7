/*
 * front: keyfin in front of a real Jellyfin (KEYFIN_UPSTREAM, docs/front.md).
 * nginx asks keyfin about every request bound for Jellyfin (auth_request to
 * /keyfin/v1/verify with the FastCGI parameter KEYFIN_FRONT, which no
 * client can set) and forwards it with what keyfin answers: the
 * Authorization header Jellyfin gets and the request target without any
 * api_key / ApiKey parameter.  src/handle_gateway.c decides; this module is
 * the pure part (tests/unit/test_front.c) and the upstream key's file.
 */
#ifndef KEYFIN_FRONT_H
#define KEYFIN_FRONT_H

#include <stdbool.h>
#include <stddef.h>

#include "keyfin/authhdr.h"

/* The Jellyfin API key keyfin forwards for an allowed keyfin key. */
#define FRONT_KEY_MAX 128

struct front_upstream {
	bool loaded;
	size_t len;
	char key[FRONT_KEY_MAX + 1];
};

/*
 * Read the upstream key from `file`: one Jellyfin API key (made in
 * Jellyfin's dashboard), 1 to FRONT_KEY_MAX letters, digits, '-', '_' or
 * '.', a line end allowed after it.  Refused (-1 with the reason in `err`,
 * never the key) when group or others may read or write the file, when it
 * is a symbolic link, or when it holds anything else.
 */
int front_upstream_load(struct front_upstream *up, const char *file, char *err, size_t err_len)
	__attribute__((warn_unused_result));

/* front_upstream_load() into `up` only when it succeeds (`up` is kept
 * otherwise); nothing to do and 0 when `file` is empty (front mode off).
 * For the start and for SIGHUP. */
int front_upstream_reload(struct front_upstream *up, const char *file, char *err, size_t err_len)
	__attribute__((warn_unused_result));

/*
 * The request target `uri` as it goes upstream: every query parameter
 * whose URL-decoded name is api_key or ApiKey (any case, as ASP.NET
 * matches) taken out, everything else byte for byte (a '?' left with
 * nothing after it goes too).  Returns the length written to `out` (NUL
 * included in `out_len`), or -1 when it does not fit.  *changed says
 * whether anything was taken out.
 */
long front_strip_uri(const char *uri, char *out, size_t out_len, bool *changed);

/*
 * A decoded path (uri_parse()) that a server would read as another path:
 * a "." or ".." segment, an empty segment ("//"), a backslash, or a
 * character ASP.NET folds into an ASCII letter (U+0131 dotless i, U+017F
 * long s).  A keyfin key's scopes are checked on the path as written, so
 * such a path is refused for a key (403) rather than guessed at.
 */
bool front_path_ambiguous(const char *path, size_t len);

/* Does the path name Jellyfin's API key list (a segment "Auth" followed by
 * "Keys", any case, anywhere)?  Those answers hold the upstream key. */
bool front_path_is_key_list(const char *path, size_t len);

/*
 * `MediaBrowser Token="<token>", Client="…", Device="…", DeviceId="…",
 * Version="…"`: the token (none when `token` is NULL) and the client fields
 * of `fields` that are present, each value percent-encoded but for
 * A-Z a-z 0-9 - _ . ~ (Jellyfin URL-decodes them back).  Returns the
 * length, 0 when there is nothing to say, or -1 when `out` is too small.
 */
long front_authorization(char *out, size_t out_len, const char *token, size_t token_len,
			 const struct authhdr *fields);

/* Is `scheme` the scheme of `value`, an Authorization header (the text
 * before its first space, any case, as Jellyfin reads it)? */
bool front_scheme_is(const char *value, const char *scheme);

#endif
