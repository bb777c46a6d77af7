/* Unit tests for src/render.c: Jellyfin's names, dates and field order. */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* The hand-made formatter agrees with gmtime_r + strftime everywhere. */
static void test_dates_match_libc(void **state)
{
	static const int64_t edges[] = {
		1, 999999, 1000000, 86399999999LL, 86400000000LL,
		951782400000000LL,              /* 2000-02-29 */
		951868800000000LL,              /* 2000-03-01 */
		4107542400000000LL,             /* 2100-03-01 */
		4102444799999999LL,             /* 2099-12-31T23:59:59.999999 */
		253402300799999999LL,           /* 9999-12-31T23:59:59.999999 */
	};
	char out[RENDER_DATE_LEN + 1], want[64], base[32];
	uint64_t x = 88172645463325252ULL;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		int64_t us = i < (int)(sizeof(edges) / sizeof(edges[0])) ? edges[i] : 0;
		struct tm tm;
		time_t secs;

		if (us == 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			us = (int64_t)(x % 253402300799999999ULL) + 1;
		}
		secs = (time_t)(us / 1000000);
		gmtime_r(&secs, &tm);
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want, sizeof(want), "%s.%06lld0Z", base, (long long)(us % 1000000));
		render_format_date(us, out);
		assert_string_equal(out, want);
	}
	render_format_date(-5, out);
	assert_string_equal(out, "0001-01-01T00:00:00.0000000Z");
	render_format_date(253402300800000000LL, out);
	assert_string_equal(out, "0001-01-01T00:00:00.0000000Z");
}

/* render_json_string writes what json-c writes, byte for byte. */
static void check_json_string(const char *s)
{
	json_object *o = json_object_new_string(s);
	char out[RENDER_JSON_STRING_MAX(64)];
	size_t n = render_json_string(out, s);

	assert_string_equal(out, json_object_to_json_string_ext(
				    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	assert_int_equal(n, strlen(out));
	json_object_put(o);
}

static void test_json_string(void **state)
{
	char one[4];

	(void)state;
	for (int c = 1; c < 256; c++) {
		one[0] = 'a';
		one[1] = (char)c;
		one[2] = 'z';
		one[3] = '\0';
		check_json_string(one);
	}
	check_json_string("");
	check_json_string("<b>\"x\"</b> & 'y' / \\");
	check_json_string("H\xc3\xb6rb\xc3\xbc" "cher \xf0\x9f\x8e\xac");
	check_json_string("\x01\x1f\x7f");
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
		cmocka_unit_test(test_dates_match_libc),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_order_and_profile),
		cmocka_unit_test(test_accept),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
