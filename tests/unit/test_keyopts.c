/* Unit tests for src/keyopts.c: the options of POST/PATCH /keyfin/v1/keys,
 * read from a parsed body into what store_key_insert/update take. */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <string.h>

#include "keyfin/keyopts.h"
#include "keyfin/reqjson.h"

/* keyopts_read on the JSON text `body`; the parsed body stays in `*obj`
 * (strings of `k` point into it). */
static const char *read_text(const char *body, json_object **obj, struct keyopts *k)
{
	*obj = reqjson_parse(body, strlen(body));
	assert_non_null(*obj);
	return keyopts_read(*obj, k);
}

static void test_nothing_set(void **state)
{
	struct keyopts k;
	json_object *obj;

	(void)state;
	assert_null(read_text("{\"app\":\"Heimdall\"}", &obj, &k));
	assert_false(k.o.set_expires || k.o.set_scopes || k.o.set_allowed_ips || k.o.set_note);
	assert_null(k.o.expires_at);
	assert_null(k.o.ttl);
	assert_null(k.o.scopes);
	assert_null(k.o.allowed_ips);
	assert_null(k.o.note);
	json_object_put(obj);
}

static void test_every_option(void **state)
{
	struct keyopts k;
	json_object *obj;

	(void)state;
	/* member names in any case, as ASP.NET binds them */
	assert_null(read_text("{\"TTL\":3600,\"scopes\":[\"read\",\"/System/Info\"],"
			      "\"Allowed_IPs\":[\"192.0.2.0/24\",\"2001:db8::/32\"],"
			      "\"note\":\"the \\\"lab\\\" box\"}", &obj, &k));
	assert_true(k.o.set_expires && k.o.set_scopes && k.o.set_allowed_ips && k.o.set_note);
	assert_null(k.o.expires_at);
	assert_string_equal(k.o.ttl, "3600");
	assert_string_equal(k.o.scopes, "{\"read\",\"/System/Info\"}");
	assert_string_equal(k.o.allowed_ips, "{\"192.0.2.0/24\",\"2001:db8::/32\"}");
	assert_string_equal(k.o.note, "the \"lab\" box");
	json_object_put(obj);

	assert_null(read_text("{\"expires_at\":\"2030-01-01T00:00:00Z\",\"scopes\":[]}",
			      &obj, &k));
	assert_string_equal(k.o.expires_at, "2030-01-01T00:00:00Z");
	assert_string_equal(k.o.scopes, "{}");
	json_object_put(obj);
}

static void test_null_clears(void **state)
{
	struct keyopts k;
	json_object *obj;

	(void)state;
	assert_null(read_text("{\"expires_at\":null,\"scopes\":null,\"allowed_ips\":null,"
			      "\"note\":null}", &obj, &k));
	assert_true(k.o.set_expires && k.o.set_scopes && k.o.set_allowed_ips && k.o.set_note);
	assert_null(k.o.expires_at);
	assert_null(k.o.scopes);
	assert_null(k.o.allowed_ips);
	assert_null(k.o.note);
	json_object_put(obj);
}

#define REFUSED(body, want) do { \
	struct keyopts k_; \
	json_object *obj_; \
	const char *why_ = read_text(body, &obj_, &k_); \
	assert_non_null(why_); \
	assert_string_equal(why_, want); \
	json_object_put(obj_); \
} while (0)

static void test_refused(void **state)
{
	char many[512];
	size_t n;

	(void)state;
	REFUSED("{\"expires_at\":5}", "expires_at: a date (ISO 8601) or null");
	REFUSED("{\"ttl\":0}", "ttl: whole seconds, more than 0, and not with expires_at");
	REFUSED("{\"ttl\":\"60\"}", "ttl: whole seconds, more than 0, and not with expires_at");
	REFUSED("{\"ttl\":3153600001}", "ttl: whole seconds, more than 0, and not with expires_at");
	REFUSED("{\"expires_at\":\"2030-01-01\",\"ttl\":60}",
		"ttl: whole seconds, more than 0, and not with expires_at");
	REFUSED("{\"scopes\":\"read\"}", "scopes: an array of at most 32 strings");
	REFUSED("{\"scopes\":[1]}", "scopes: strings only");
	REFUSED("{\"scopes\":[\"write\"]}", "a scope is admin, read, a path starting with /, "
		"GET and such a path, or preset:NAME");
	REFUSED("{\"scopes\":[\"POST /Items\"]}", "a scope is admin, read, a path starting with /, "
		"GET and such a path, or preset:NAME");
	REFUSED("{\"scopes\":[\"preset:nope\"]}", "a scope is admin, read, a path starting with /, "
		"GET and such a path, or preset:NAME");
	REFUSED("{\"allowed_ips\":[\"10.0.0.0/8\",null]}",
		"allowed_ips: addresses (CIDR) as strings");
	REFUSED("{\"allowed_ips\":[\"10.0.0.1\\n\"]}", "allowed_ips: addresses (CIDR) as strings");
	REFUSED("{\"allowed_ips\":[\"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128x\"]}",
		"allowed_ips: addresses (CIDR) as strings");
	/* a NUL inside an element would cut it short (found by fuzz_keyopts) */
	REFUSED("{\"scopes\":[\"/System\\u0000/Info\"]}", "scopes: strings only");
	REFUSED("{\"allowed_ips\":[\"\\u00008.1.0/24\"]}",
		"allowed_ips: addresses (CIDR) as strings");
	REFUSED("{\"note\":7}", "note: text of at most 1000 bytes, or null");
	REFUSED("{\"note\":\"a\\u0000b\"}", "note: text of at most 1000 bytes, or null");

	/* 33 scopes: one too many */
	n = (size_t)snprintf(many, sizeof(many), "{\"scopes\":[");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s\"read\"", i ? "," : "");
	snprintf(many + n, sizeof(many) - n, "]}");
	REFUSED(many, "scopes: an array of at most 32 strings");
}

static void test_longest_fit(void **state)
{
	/* 32 path scopes of 200 bytes, half of them backslashes (escaped in the
	 * literal): long literals fit the buffer */
	static char body[32 * 420 + 64];
	char scope[SCOPE_MAX_LEN + 1];
	struct keyopts k;
	json_object *obj;
	size_t n;

	(void)state;
	scope[0] = '/';
	for (size_t i = 1; i < SCOPE_MAX_LEN; i++)
		scope[i] = (i % 2) ? '\\' : 'x';
	scope[SCOPE_MAX_LEN] = '\0';
	n = (size_t)snprintf(body, sizeof(body), "{\"scopes\":[");
	for (int i = 0; i < 32; i++) {
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"", i ? "," : "");
		for (size_t j = 0; scope[j]; j++)
			n += (size_t)snprintf(body + n, sizeof(body) - n,
					      scope[j] == '\\' ? "\\\\" : "%c", scope[j]);
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\"");
	}
	snprintf(body + n, sizeof(body) - n, "]}");
	assert_null(read_text(body, &obj, &k));
	assert_non_null(k.o.scopes);
	assert_true(strlen(k.o.scopes) < sizeof(k.scopes));
	json_object_put(obj);
}

/* A preset is stored as the scopes it stands for, counted in the 32. */
static void test_presets(void **state)
{
	json_object *obj;
	struct keyopts k;
	char many[1024];
	size_t n;

	(void)state;
	assert_null(read_text("{\"scopes\":[\"preset:heimdall\",\"/Extra\"]}", &obj, &k));
	assert_string_equal(k.o.scopes, "{\"GET /System/Info\",\"GET /Items/Counts\",\"/Extra\"}");
	json_object_put(obj);
	assert_null(read_text("{\"scopes\":[\"preset:jellyfin-admin\"]}", &obj, &k));
	assert_string_equal(k.o.scopes, "{\"admin\"}");
	json_object_put(obj);
	/* two presets of 16 and 17 scopes make 33: one too many */
	n = (size_t)snprintf(many, sizeof(many), "{\"scopes\":[\"preset:jellyfin-playback\","
			     "\"preset:jellyfin-library-read\",\"/x\",\"/y\"]}");
	assert_true(n < sizeof(many));
	assert_string_equal(read_text(many, &obj, &k), "scopes: an array of at most 32 strings");
	json_object_put(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_set),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_null_clears),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_longest_fit),
		cmocka_unit_test(test_presets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
