/*
 * uri: the request target (REQUEST_URI, raw as the client sent it) split
 * into a decoded path and the raw query, and query parameters looked up by
 * name.  Pure: no I/O, no allocation.
 */
#ifndef KEYFIN_URI_H
#define KEYFIN_URI_H

#include <stddef.h>

enum uri_status {
	URI_OK = 0,
	URI_BAD,                /* NUL in the path, or not starting with '/': 400 */
	URI_TOO_LONG,           /* the decoded path does not fit: 414 */
};

/*
 * Decode the path of `uri` (a NUL-terminated string) into `path`
 * (`path_size` bytes), drop a leading /emby or /mediabrowser segment and
 * trailing slashes; `query` points at what follows '?' in `uri` ("" when
 * none).  On an error `path` is "/".
 */
enum uri_status uri_parse(const char *uri, char *path, size_t path_size,
			  size_t *path_len, const char **query);

/* What uri_query() returns instead of a length (both negative). */
enum uri_query_none {
	URI_QUERY_ABSENT = -1,
	URI_QUERY_TOO_LONG = -2,        /* does not fit in `out_len - 1` bytes */
};

/*
 * Find parameter `name` in `query` (ASCII case-insensitive, as ASP.NET
 * does; the first occurrence) and URL-decode its value into `out` (`+` is a
 * space).  Returns the decoded length, or one of enum uri_query_none.
 */
long uri_query(const char *query, const char *name, char *out, size_t out_len);

#endif
