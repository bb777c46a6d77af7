/*
 * libFuzzer target: the key options of POST/PATCH /keyfin/v1/keys
 * (src/keyopts.c, on a body parsed by src/reqjson.c + json-c, as the
 * handlers do).
 *
 * The input is the body, in an exact-size heap copy with no NUL after it.
 *
 * Properties besides "no crash":
 *   - on failure a non-empty message comes back;
 *   - on success, an option not set is NULL; scopes and allowed_ips, when
 *     set and not null, are PostgreSQL array literals inside their buffer
 *     (NUL-terminated before its end) that read back, element by element,
 *     as exactly the strings of the JSON array (at most 32; scopes that
 *     scope_problem() accepts; addresses of at most 49 bytes); ttl is the
 *     decimal of a whole number of seconds in 1 .. 100 years, never with
 *     expires_at; expires_at and note are the body's strings (note at most
 *     1000 bytes, no NUL inside);
 *   - reading the same body twice gives the same result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/keyopts.h"
#include "keyfin/reqjson.h"
#include "fuzz_check.h"


/* Reads the literal `lit` back and compares its elements with the strings
 * of the JSON array `a` (a member of the body): the literal must be exactly
 * "{" ( '"' escaped-text '"' ) joined by "," "}". */
static void check_literal(const char *lit, const char *buf, size_t size, json_object *a,
			  bool scopes)
{
	size_t len, n, i = 0;
	const char *p;
	char *elem;

	CHECK(lit == buf);
	len = strnlen(lit, size);
	CHECK(len < size);
	CHECK(json_object_is_type(a, json_type_array));
	n = json_object_array_length(a);
	CHECK(n <= KEYOPTS_LIST_MAX);
	elem = malloc(len + 1);
	CHECK(elem != NULL);
	p = lit;
	CHECK(*p++ == '{');
	while (*p != '}') {
		size_t e = 0;
		const char *want;

		if (i > 0)
			CHECK(*p++ == ',');
		CHECK(*p++ == '"');
		while (*p != '"') {
			CHECK(*p != '\0');
			if (*p == '\\') {
				p++;
				CHECK(*p == '\\' || *p == '"');
			}
			elem[e++] = *p++;
		}
		p++;
		elem[e] = '\0';
		CHECK(i < n);
		/* json-c's own length: a string with a NUL inside must not be
		 * stored cut short */
		want = json_object_get_string(json_object_array_get_idx(a, i));
		CHECK(want != NULL &&
		      (size_t)json_object_get_string_len(json_object_array_get_idx(a, i)) == e &&
		      memcmp(want, elem, e) == 0);
		if (scopes)
			CHECK(scope_problem(elem) == NULL);
		else
			CHECK(e <= KEYOPTS_ADDRESS_MAX);
		i++;
	}
	CHECK(p[1] == '\0');
	CHECK(i == n);
	free(elem);
}

static void check_ok(json_object *body, const struct keyopts *k)
{
	const struct store_key_options *o = &k->o;

	if (!o->set_expires)
		CHECK(o->expires_at == NULL && o->ttl == NULL);
	CHECK(o->expires_at == NULL || o->ttl == NULL);
	if (o->expires_at != NULL)
		CHECK(o->expires_at == reqjson_str(body, "expires_at"));
	if (o->ttl != NULL) {
		char *end;
		long long ttl = strtoll(o->ttl, &end, 10);

		CHECK(o->ttl == k->ttl && *end == '\0' && end != o->ttl);
		CHECK(ttl > 0 && ttl <= 100LL * 365 * 86400);
	}
	if (!o->set_scopes)
		CHECK(o->scopes == NULL);
	if (o->scopes != NULL)
		check_literal(o->scopes, k->scopes, sizeof(k->scopes),
			      reqjson_member(body, "scopes"), true);
	if (!o->set_allowed_ips)
		CHECK(o->allowed_ips == NULL);
	if (o->allowed_ips != NULL)
		check_literal(o->allowed_ips, k->ips, sizeof(k->ips),
			      reqjson_member(body, "allowed_ips"), false);
	if (!o->set_note)
		CHECK(o->note == NULL);
	if (o->note != NULL) {
		CHECK(o->note == reqjson_str(body, "note"));
		CHECK(strlen(o->note) <= KEYOPTS_NOTE_MAX);
	}
}

/* Equal results: the same pointers into the body, the same literals. */
static void check_same(const struct keyopts *a, const struct keyopts *b)
{
	CHECK(a->o.set_expires == b->o.set_expires && a->o.set_scopes == b->o.set_scopes &&
	      a->o.set_allowed_ips == b->o.set_allowed_ips && a->o.set_note == b->o.set_note);
	CHECK(a->o.expires_at == b->o.expires_at && a->o.note == b->o.note);
	CHECK((a->o.ttl == NULL) == (b->o.ttl == NULL));
	if (a->o.ttl != NULL)
		CHECK(strcmp(a->o.ttl, b->o.ttl) == 0);
	CHECK((a->o.scopes == NULL) == (b->o.scopes == NULL));
	if (a->o.scopes != NULL)
		CHECK(strcmp(a->o.scopes, b->o.scopes) == 0);
	CHECK((a->o.allowed_ips == NULL) == (b->o.allowed_ips == NULL));
	if (a->o.allowed_ips != NULL)
		CHECK(strcmp(a->o.allowed_ips, b->o.allowed_ips) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct keyopts *k1, *k2;
	json_object *body;
	const char *why1, *why2;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	body = reqjson_parse(buf, size);
	if (body == NULL) {
		free(buf);
		return 0;
	}
	/* exact-size heap copies: ASan sees any write past a buffer */
	k1 = malloc(sizeof(*k1));
	k2 = malloc(sizeof(*k2));
	CHECK(k1 != NULL && k2 != NULL);
	memset(k1, 0x5a, sizeof(*k1));
	memset(k2, 0xa5, sizeof(*k2));
	why1 = keyopts_read(body, k1);
	why2 = keyopts_read(body, k2);
	CHECK((why1 == NULL) == (why2 == NULL));
	if (why1 != NULL) {
		CHECK(why1[0] != '\0' && strcmp(why1, why2) == 0);
	} else {
		check_ok(body, k1);
		check_same(k1, k2);
	}
	free(k1);
	free(k2);
	json_object_put(body);
	free(buf);
	return 0;
}
