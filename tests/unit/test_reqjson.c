/* Unit tests for src/reqjson.c: request bodies as ASP.NET binds them. */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/reqjson.h"

#define PARSE(s) reqjson_parse(s, sizeof(s) - 1)

static void test_objects(void **state)
{
	json_object *o = PARSE("{\"Username\":\"admin\",\"Pw\":\"p\\\"w\",\"IsDisabled\":true}");

	(void)state;
	assert_non_null(o);
	assert_string_equal(reqjson_str(o, "Username"), "admin");
	assert_string_equal(reqjson_str(o, "username"), "admin");   /* names: any case */
	assert_string_equal(reqjson_str(o, "pw"), "p\"w");
	assert_null(reqjson_str(o, "Missing"));
	assert_null(reqjson_str(o, "IsDisabled"));                  /* not a string */
	assert_true(reqjson_bool(o, "isdisabled", false));
	assert_false(reqjson_bool(o, "IsAdministrator", false));
	assert_true(reqjson_bool(o, "Username", true));             /* not a boolean */
	json_object_put(o);
}

static void test_refusals(void **state)
{
	(void)state;
	assert_null(PARSE(""));
	assert_null(PARSE("{"));
	assert_null(PARSE("{bad"));
	assert_null(PARSE("[]"));
	assert_null(PARSE("\"text\""));
	assert_null(PARSE("null"));
	assert_null(PARSE("{} {}"));                 /* trailing data */
	assert_null(PARSE("{'a':'b'}"));             /* not JSON */
	assert_null(PARSE("{\"a\":1,}"));            /* trailing comma */
	assert_null(PARSE("{\"a\":\"\xff\"}"));      /* invalid UTF-8 */
	assert_null(PARSE("{\"a\":\"caf\xc1\xa9\"}"));  /* overlong, json-c lets it by */
	assert_null(PARSE("{\"a\":\"\xed\xa0\x80\"}"));  /* surrogate */
	assert_null(PARSE("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"));
}

static void test_nul_in_string(void **state)
{
	json_object *o = PARSE("{\"Name\":\"ab\\u0000cd\",\"Ok\":\"h\\u00e9\"}");

	(void)state;
	assert_non_null(o);
	assert_null(reqjson_str(o, "Name"));
	assert_string_equal(reqjson_str(o, "Ok"), "h\xc3\xa9");
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_nul_in_string),
	};

	return cmocka_run_group_tests_name("reqjson", tests, NULL, NULL);
}
