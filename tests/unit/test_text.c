/* Unit tests for src/text.c: what text may be stored. */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/text.h"

#define CLEAN(s) text_is_clean(s, sizeof(s) - 1)

static void test_accepts_text(void **state)
{
	(void)state;
	assert_true(CLEAN("Heimdall"));
	assert_true(CLEAN("My Phone"));
	assert_true(CLEAN("H\xc3\xb6rb\xc3\xbc" "cher"));          /* Hörbücher */
	assert_true(CLEAN("\xe2\x82\xac"));                        /* € */
	assert_true(CLEAN("\xf0\x9f\x8e\xac"));                    /* 🎬 */
	assert_true(CLEAN("<img src=x onerror=alert(1)>"));
	assert_true(CLEAN("'; DROP TABLE api_keys; --"));
	assert_true(CLEAN(""));
}

static void test_refuses_controls(void **state)
{
	(void)state;
	assert_false(CLEAN("a\0b"));
	assert_false(CLEAN("a\nb"));
	assert_false(CLEAN("a\rb"));
	assert_false(CLEAN("\x1b[31m"));
	assert_false(CLEAN("a\x7f"));
}

static void test_refuses_bad_utf8(void **state)
{
	(void)state;
	assert_false(CLEAN("\xff"));
	assert_false(CLEAN("\xc3"));                 /* truncated */
	assert_false(CLEAN("\xe2\x82"));             /* truncated */
	assert_false(CLEAN("\xc0\xaf"));             /* overlong '/' */
	assert_false(CLEAN("\xe0\x80\xaf"));         /* overlong */
	assert_false(CLEAN("\xed\xa0\x80"));         /* surrogate */
	assert_false(CLEAN("\xf4\x90\x80\x80"));     /* past U+10FFFF */
	assert_false(CLEAN("\x80"));                 /* lone continuation */
	assert_false(CLEAN("a\xc3(b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_text),
		cmocka_unit_test(test_refuses_controls),
		cmocka_unit_test(test_refuses_bad_utf8),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
