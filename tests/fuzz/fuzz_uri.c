/*
 * libFuzzer target: the request target (src/uri.c, which uses src/authhdr.c).
 *
 * Input layout: byte 0 picks the path buffer size and the query parameter
 * name; the rest, up to the first NUL, is REQUEST_URI (nginx never passes a
 * NUL byte; uri_parse takes a C string).  If the rest holds a NUL, the bytes
 * after it are the parameter name looked up with uri_query.
 *
 * Properties besides "no crash":
 *   - uri_parse: on URI_OK the path starts with '/', has exactly path_len
 *     bytes before its NUL (no NUL inside), fits the buffer, has no trailing
 *     '/' unless it is "/", and `query` points just after the first '?' of
 *     the input (or is ""); on an error the path is "/";
 *   - uri_query: result >= -2; when >= 0 it is <= out_len - 1 and out is
 *     NUL-terminated there; a value that fits a big buffer gives -2 in a
 *     buffer one byte too small.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/uri.h"
#include "fuzz_check.h"


/* What keyfin asks for (auth.c, handle_keys.c), in any case. */
static const char *const names[] = {
	"app", "api_key", "ApiKey", "APP", "x", "",
};

static void fuzz_query(const char *query, const char *name, size_t out_len)
{
	char *out = malloc(out_len ? out_len : 1);
	long n;

	CHECK(out != NULL);
	n = uri_query(query, name, out, out_len);
	CHECK(n >= -2);
	if (n >= 0) {
		CHECK(out_len > 0 && (size_t)n <= out_len - 1);
		CHECK(out[n] == '\0');
		if (n > 0) {
			/* the same lookup one byte short must say "does not fit" */
			char *tight = malloc((size_t)n);

			CHECK(tight != NULL);
			CHECK(uri_query(query, name, tight, (size_t)n) == -2);
			free(tight);
		}
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t path_sizes[] = { 2049, 2, 3, 16, 64, 4097 };
	const char *query, *name;
	size_t path_size, path_len = 0, ulen;
	char *uri, *path, *extra = NULL;
	enum uri_status st;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	uri = malloc(size);             /* size - 1 bytes + NUL */
	if (uri == NULL)
		return 0;
	memcpy(uri, data + 1, size - 1);
	uri[size - 1] = '\0';
	ulen = strlen(uri);
	if (ulen + 1 < size) {
		/* what follows the NUL names the parameter */
		extra = uri + ulen + 1;
	}

	path_size = path_sizes[mode % 6];
	path = malloc(path_size);
	CHECK(path != NULL);
	memset(path, 'X', path_size);
	st = uri_parse(uri, path, path_size, &path_len, &query);
	CHECK(st == URI_OK || st == URI_BAD || st == URI_TOO_LONG);
	if (st == URI_OK) {
		CHECK(path_len >= 1 && path_len < path_size);
		CHECK(path[0] == '/');
		CHECK(strlen(path) == path_len);
		CHECK(path_len == 1 || path[path_len - 1] != '/');
	} else {
		CHECK(strcmp(path, "/") == 0 && path_len == 1);
	}
	{
		const char *q = strchr(uri, '?');

		CHECK(q ? query == q + 1 : query[0] == '\0');
	}

	name = extra ? extra : names[(mode >> 3) % 6];
	fuzz_query(query, name, 4097);
	fuzz_query(query, name, (size_t)(mode >> 3) % 8);
	/* the whole input as a query string too (no '?' needed) */
	fuzz_query(uri, names[mode % 6], 65);
	free(path);
	free(uri);
	return 0;
}
