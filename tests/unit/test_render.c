/* Unit tests for src/render.c: Jellyfin's names, dates and field order. */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/render.h"

static void check_camel(const char *pascal, const char *want)
{
	char out[64];

	render_camel(pascal, out);
	assert_string_equal(out, want);
}

static void test_camel_case(void **state)
{
	(void)state;
	check_camel("Items", "items");
	check_camel("TotalRecordCount", "totalRecordCount");
	check_camel("AccessToken", "accessToken");
	check_camel("Id", "id");
	check_camel("DeviceId", "deviceId");
	check_camel("IPAddress", "ipAddress");
	check_camel("ID", "id");
	check_camel("X", "x");
	check_camel("already", "already");
}

static void test_dates(void **state)
{
	char out[RENDER_DATE_LEN + 1];

	(void)state;
	render_format_date(0, out);
	assert_string_equal(out, "0001-01-01T00:00:00.0000000Z");
	render_format_date(1795428000123456LL, out);
	assert_string_equal(out, "2026-11-23T10:00:00.1234560Z");
	render_format_date(1795428000000001LL, out);
	assert_string_equal(out, "2026-11-23T10:00:00.0000010Z");
}

static void test_order_and_profile(void **state)
{
	json_object *o = json_object_new_object();

	(void)state;
	render_int(o, false, "Id", 0);
	render_str(o, false, "AccessToken", "k");
	render_bool(o, false, "IsActive", false);
	render_date(o, false, "DateCreated", 0);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"Id\":0,\"AccessToken\":\"k\",\"IsActive\":false,"
			    "\"DateCreated\":\"0001-01-01T00:00:00.0000000Z\"}");
	json_object_put(o);
	o = json_object_new_object();
	render_int(o, true, "TotalRecordCount", 2);
	render_str(o, true, "AppName", "<b>\"x\"</b>");
	assert_string_equal(json_object_to_json_string_ext(
				    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			    "{\"totalRecordCount\":2,\"appName\":\"<b>\\\"x\\\"</b>\"}");
	json_object_put(o);
}

static void test_accept(void **state)
{
	(void)state;
	assert_false(render_wants_camel(NULL));
	assert_false(render_wants_camel(""));
	assert_false(render_wants_camel("application/json"));
	assert_true(render_wants_camel("application/json; profile=\"CamelCase\""));
	assert_true(render_wants_camel("application/json;profile=camelcase"));
	assert_false(render_wants_camel("application/json; profile=\"PascalCase\""));
	/* @jellyfin/sdk 1.0.0: the first entry wins, and it has no profile */
	assert_false(render_wants_camel("application/json,application/json; profile=CamelCase,"
					"application/json; profile=PascalCase,text/html"));
	/* a higher q wins over order */
	assert_true(render_wants_camel("application/json;q=0.5, application/json; profile=CamelCase"));
	/* entries that no JSON formatter serves do not count */
	assert_true(render_wants_camel("text/html, application/json; profile=CamelCase"));
	assert_false(render_wants_camel("*/*, application/json; profile=CamelCase"));
	assert_false(render_wants_camel("text/html; profile=CamelCase"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_camel_case),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_order_and_profile),
		cmocka_unit_test(test_accept),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
