/* Unit tests for src/scope.c: what a scoped key may call. */
#include "cmocka_prelude.h"

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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admin),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_problems),
	};

	return cmocka_run_group_tests_name("scope", tests, NULL, NULL);
}
