/* Unit tests for src/uri.c: the request target as keyfin routes on it. */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/uri.h"

static void check_path(const char *uri, enum uri_status want, const char *path,
		       const char *query)
{
	char out[64];
	size_t len = 0;
	const char *q = NULL;

	assert_int_equal(uri_parse(uri, out, sizeof(out), &len, &q), want);
	assert_string_equal(out, path);
	assert_int_equal(len, strlen(path));
	assert_string_equal(q, query);
}

static void test_paths(void **state)
{
	(void)state;
	check_path("/Auth/Keys", URI_OK, "/Auth/Keys", "");
	check_path("/Auth/Keys/", URI_OK, "/Auth/Keys", "");
	check_path("/Auth/Keys///", URI_OK, "/Auth/Keys", "");
	check_path("/Auth/Keys?app=Heimdall", URI_OK, "/Auth/Keys", "app=Heimdall");
	check_path("/", URI_OK, "/", "");
	check_path("/System/Info%2FPublic", URI_OK, "/System/Info/Public", "");
	check_path("/a+b", URI_OK, "/a+b", "");              /* '+' is literal in paths */
	check_path("/a%zz%4", URI_OK, "/a%zz%4", "");        /* malformed escapes stay */
	check_path("/a?b?c", URI_OK, "/a", "b?c");
}

static void test_prefixes(void **state)
{
	(void)state;
	check_path("/emby/System/Info", URI_OK, "/System/Info", "");
	check_path("/EMBY/System/Info", URI_OK, "/System/Info", "");
	check_path("/mediabrowser/System/Info?api_key=x", URI_OK, "/System/Info", "api_key=x");
	check_path("/emby", URI_OK, "/", "");
	check_path("/emby/", URI_OK, "/", "");
	check_path("/embyfoo/x", URI_OK, "/embyfoo/x", "");  /* a whole segment only */
	check_path("/emby/emby/x", URI_OK, "/emby/x", "");   /* once */
}

static void test_refusals(void **state)
{
	char big[200];

	(void)state;
	check_path("/Auth/Keys%00", URI_BAD, "/", "");
	check_path("relative", URI_BAD, "/", "");
	check_path("", URI_BAD, "/", "");
	check_path("%2FAuth", URI_OK, "/Auth", "");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	check_path(big, URI_TOO_LONG, "/", "");
}

static void check_query(const char *query, const char *name, long want, const char *value)
{
	char out[16];

	assert_int_equal(uri_query(query, name, out, sizeof(out)), want);
	if (want >= 0)
		assert_string_equal(out, value);
}

static void test_query(void **state)
{
	(void)state;
	check_query("app=Heimdall", "app", 8, "Heimdall");
	check_query("App=Jellyseerr", "app", 10, "Jellyseerr");        /* Seerr */
	check_query("APIKEY=abc", "ApiKey", 3, "abc");
	check_query("x=1&app=My+App", "app", 6, "My App");
	check_query("app=a%26b", "app", 3, "a&b");
	check_query("app=first&app=second", "app", 5, "first");
	check_query("ap%70=encoded-name", "app", 12, "encoded-name");
	check_query("app", "app", 0, "");
	check_query("app=", "app", 0, "");
	check_query("application=x", "app", -1, NULL);
	check_query("", "app", -1, NULL);
	check_query("&&app=x&&", "app", 1, "x");
	check_query("app=0123456789abcdef", "app", -2, NULL);          /* does not fit */
	check_query("app=%00", "app", 1, "");                           /* NUL: length says 1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests_name("uri", tests, NULL, NULL);
}
