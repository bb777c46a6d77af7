/* Unit tests for src/scope.c: what a scoped key may call. */
#include "cmocka_prelude.h"

#include <stdio.h>

#include "keyfin/scope.h"

static void test_admin(void **state)
{
	(void)state;
	assert_true(scope_is_admin(""));
	assert_true(scope_is_admin("admin"));
	assert_true(scope_is_admin("read\nadmin"));
	assert_false(scope_is_admin("read"));
	assert_false(scope_is_admin("/System/Info"));
	assert_false(scope_is_admin("administrator"));
	assert_true(scope_allows("", "DELETE", "/Auth/Keys/x"));
	assert_true(scope_allows("admin", "POST", "/anything"));
}

static void test_read(void **state)
{
	(void)state;
	assert_true(scope_allows("read", "GET", "/System/Info"));
	assert_true(scope_allows("read", "HEAD", "/x"));
	assert_false(scope_allows("read", "POST", "/Auth/Keys"));
	assert_false(scope_allows("read", "DELETE", "/x"));
}

static void test_paths(void **state)
{
	const char *heimdall = "/System/Info\n/Items/Counts";

	(void)state;
	assert_true(scope_allows(heimdall, "GET", "/System/Info"));
	assert_true(scope_allows(heimdall, "GET", "/system/info"));
	assert_true(scope_allows(heimdall, "GET", "/System/Info/Public"));
	assert_true(scope_allows(heimdall, "POST", "/Items/Counts"));
	assert_false(scope_allows(heimdall, "GET", "/System/InfoX"));
	assert_false(scope_allows(heimdall, "GET", "/System"));
	assert_false(scope_allows(heimdall, "GET", "/Auth/Keys"));
	assert_true(scope_allows("/Items/", "GET", "/Items/1"));
	assert_true(scope_allows("/", "GET", "/whatever"));
}

static void test_get_paths(void **state)
{
	const char *library = "GET /Items\nGET /Users/";

	(void)state;
	assert_true(scope_allows(library, "GET", "/Items"));
	assert_true(scope_allows(library, "HEAD", "/items/1/Images"));
	assert_true(scope_allows(library, "GET", "/Users/abc/Items"));
	assert_false(scope_allows(library, "POST", "/Items/1"));
	assert_false(scope_allows(library, "DELETE", "/Users/abc"));
	assert_false(scope_allows(library, "GET", "/ItemsX"));
	assert_false(scope_allows(library, "GET", "/System/Info"));
	assert_false(scope_is_admin(library));
	/* only GET, and the path after one space */
	assert_false(scope_allows("POST /Items", "POST", "/Items"));
	assert_false(scope_allows("GET  /Items", "GET", "/Items"));
}

static void test_presets(void **state)
{
	const char *const *p;

	(void)state;
	p = scope_preset("preset:heimdall");
	assert_non_null(p);
	assert_string_equal(p[0], "GET /System/Info");
	assert_string_equal(p[1], "GET /Items/Counts");
	assert_null(p[2]);
	assert_null(scope_preset("preset:nope"));
	assert_null(scope_preset("heimdall"));
	assert_null(scope_preset("preset:"));
	/* every preset is made of scopes keyfin understands */
	const char *names[] = { "jellyfin-admin", "jellyfin-library-read", "jellyfin-playback",
				"heimdall", "homepage", "sonarr", "radarr", "organizr" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char name[64];
		size_t n = 0;

		snprintf(name, sizeof(name), "preset:%s", names[i]);
		p = scope_preset(name);
		assert_non_null(p);
		for (; *p != NULL; p++, n++)
			assert_null(scope_problem(*p));
		assert_true(n > 0 && n <= SCOPE_MAX_COUNT);
	}
	assert_non_null(scope_problem("preset:heimdall"));
}

static void test_problems(void **state)
{
	(void)state;
	assert_null(scope_problem("admin"));
	assert_null(scope_problem("read"));
	assert_null(scope_problem("/System/Info"));
	assert_non_null(scope_problem("write"));
	assert_non_null(scope_problem(""));
	assert_non_null(scope_problem("/a?b"));
	assert_non_null(scope_problem("/a\nb"));
	assert_null(scope_problem("GET /Items"));
	assert_non_null(scope_problem("GET Items"));
	assert_non_null(scope_problem("GET /a?b"));
	assert_non_null(scope_problem("PUT /Items"));
	assert_non_null(scope_problem("get /Items"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admin),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_get_paths),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_problems),
	};

	return cmocka_run_group_tests_name("scope", tests, NULL, NULL);
}
