/*
 * libFuzzer target: the Authorization parser (src/authhdr.c).
 *
 * Input layout: byte 0 picks the scratch size (see below), the rest is the
 * header value.  Both legacy modes are run on every input.  The value and the
 * scratch buffer are heap copies of exactly the promised size, so ASan sees
 * any read past `len` or write past `scratch_len`.
 *
 * Properties checked besides "no crash":
 *   - a present value points inside scratch, is NUL-terminated at len, and
 *     its end is inside scratch;
 *   - on any status but AUTHHDR_OK every field is absent;
 *   - input over AUTHHDR_MAX_INPUT is AUTHHDR_TOO_LONG;
 *   - with scratch_len >= len + 1 (the header's promise) the status is never
 *     AUTHHDR_TOO_LONG for input within the limit;
 *   - a `MediaBrowser` header parses the same in both legacy modes;
 *   - authhdr_url_decode: result <= input length; NUL-terminated; a failure
 *     leaves exactly the first out_len - 1 bytes of the full decoding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/authhdr.h"
#include "fuzz_check.h"


static void check_value(const struct authhdr_value *v, const char *scratch,
			size_t scratch_len, enum authhdr_status st)
{
	if (st != AUTHHDR_OK) {
		CHECK(!v->present && v->ptr == NULL && v->len == 0);
		return;
	}
	if (!v->present) {
		CHECK(v->ptr == NULL && v->len == 0);
		return;
	}
	CHECK(v->ptr >= scratch);
	CHECK(v->ptr < scratch + scratch_len);
	CHECK(v->len < scratch_len - (size_t)(v->ptr - scratch));
	CHECK(v->ptr[v->len] == '\0');
	(void)authhdr_is_blank(v);
}

static void check_all(const struct authhdr *h, const char *scratch,
		      size_t scratch_len, enum authhdr_status st)
{
	check_value(&h->token, scratch, scratch_len, st);
	check_value(&h->client, scratch, scratch_len, st);
	check_value(&h->device, scratch, scratch_len, st);
	check_value(&h->device_id, scratch, scratch_len, st);
	check_value(&h->version, scratch, scratch_len, st);
	check_value(&h->user_id, scratch, scratch_len, st);
}

static bool same_value(const struct authhdr_value *a, const struct authhdr_value *b)
{
	if (a->present != b->present || a->len != b->len)
		return false;
	return !a->present || memcmp(a->ptr, b->ptr, a->len) == 0;
}

static void fuzz_parse(const char *value, size_t len, size_t scratch_len)
{
	char *s1 = malloc(scratch_len ? scratch_len : 1);
	char *s2 = malloc(scratch_len ? scratch_len : 1);
	struct authhdr h1, h2;
	enum authhdr_status st1, st2;

	CHECK(s1 != NULL && s2 != NULL);
	st1 = authhdr_parse(value, len, true, s1, scratch_len, &h1);
	st2 = authhdr_parse(value, len, false, s2, scratch_len, &h2);
	check_all(&h1, s1, scratch_len, st1);
	check_all(&h2, s2, scratch_len, st2);
	if (len > AUTHHDR_MAX_INPUT)
		CHECK(st1 == AUTHHDR_TOO_LONG && st2 == AUTHHDR_TOO_LONG);
	else if (scratch_len >= len + 1)
		CHECK(st1 != AUTHHDR_TOO_LONG && st2 != AUTHHDR_TOO_LONG);
	/* Legacy off only drops the Emby scheme. */
	if (st2 == AUTHHDR_OK) {
		CHECK(st1 == AUTHHDR_OK);
		CHECK(same_value(&h1.token, &h2.token));
		CHECK(same_value(&h1.client, &h2.client));
		CHECK(same_value(&h1.device, &h2.device));
		CHECK(same_value(&h1.device_id, &h2.device_id));
		CHECK(same_value(&h1.version, &h2.version));
		CHECK(same_value(&h1.user_id, &h2.user_id));
	}
	free(s1);
	free(s2);
}

static void fuzz_decode(const char *in, size_t len, size_t small)
{
	char *full = malloc(len + 1);
	char *part = malloc(small ? small : 1);
	size_t n, m;

	CHECK(full != NULL && part != NULL);
	n = authhdr_url_decode(in, len, full, len + 1);
	CHECK(n != (size_t)-1);         /* decoding never grows the input */
	CHECK(n <= len);
	CHECK(full[n] == '\0');
	m = authhdr_url_decode(in, len, part, small);
	if (small == 0) {
		CHECK(m == (size_t)-1);
	} else if (n + 1 <= small) {
		CHECK(m == n);
		CHECK(memcmp(part, full, n + 1) == 0);
	} else {
		CHECK(m == (size_t)-1);
		CHECK(part[small - 1] == '\0');
		CHECK(memcmp(part, full, small - 1) == 0);
	}
	free(full);
	free(part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len, scratch_len;
	char *value;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	len = size - 1;
	/* an exact-size copy, not NUL-terminated */
	value = malloc(len ? len : 1);
	if (value == NULL)
		return 0;
	memcpy(value, data + 1, len);

	/* Scratch sizes: what keyfin uses, exactly len + 1, and something
	 * smaller (down to 0) to drive the "scratch full" paths. */
	switch (mode % 4) {
	case 0: scratch_len = AUTHHDR_MAX_INPUT * 2; break;
	case 1: scratch_len = len + 1; break;
	case 2: scratch_len = (mode >> 2) % (len + 1); break;
	default: scratch_len = mode >> 2; break;
	}
	fuzz_parse(value, len, scratch_len);
	fuzz_decode(value, len, (size_t)(mode >> 2) % (len + 2));
	free(value);
	return 0;
}
