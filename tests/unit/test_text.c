/* Unit tests for src/text.c: what text may be stored. */
#include "cmocka_prelude.h"

#include <inttypes.h>
#include <string.h>

#include "keyfin/text.h"
#include "../fuzz/utf8_oracle.h"

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

/* text_is_utf8 and the independent oracle (glibc's iconv) agree on `len`
 * bytes built from `x`; returns whether the oracle took them. */
static bool agree(uint32_t x, size_t len)
{
	char b[4];
	bool oracle;

	for (size_t i = 0; i < len; i++)
		b[i] = (char)(x >> (8 * (len - 1 - i)));
	oracle = utf8_oracle(b, len);
	if (text_is_utf8(b, len) != oracle)
		fail_msg("text_is_utf8 says %s, iconv %s, on %zu bytes %0*" PRIx32,
			 oracle ? "no" : "yes", oracle ? "yes" : "no", len,
			 (int)(2 * len), x);
	return oracle;
}

/* Every input of 1, 2 and 3 bytes: each 1- to 3-byte sequence alone and
 * next to others, every truncated longer one. */
static void test_utf8_agrees_with_iconv_exhaustive(void **state)
{
	unsigned long valid = 0;

	(void)state;
	for (size_t len = 1; len <= 3; len++)
		for (uint32_t x = 0; x < (UINT32_C(1) << (8 * len)); x++)
			valid += agree(x, len);
	/* RFC 3629's count, so that the oracle is known to be the strict one:
	 * 128 ASCII; 128^2 + 30 * 64 (C2..DF); 128^3 + 2 * 128 * 1920 + the
	 * 63488 code points U+0800..U+FFFF less the 2048 surrogates. */
	assert_int_equal(valid, 128 + (128 * 128 + 30 * 64) +
			 (128 * 128 * 128 + 2 * 128 * 1920 + 63488 - 2048));
}

/* 4 bytes: every lead F0..FF and second byte, with the last two bytes at
 * the edges of the continuation range and outside it. */
static void test_utf8_agrees_with_iconv_4_bytes(void **state)
{
	static const uint8_t tails[] = { 0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xff };
	const size_t n = sizeof(tails);
	unsigned long valid = 0;

	(void)state;
	for (uint32_t lead = 0xf0; lead <= 0xff; lead++)
		for (uint32_t second = 0; second <= 0xff; second++)
			for (size_t t = 0; t < n * n; t++)
				valid += agree(lead << 24 | second << 16 |
					       (uint32_t)tails[t / n] << 8 | tails[t % n], 4);
	/* second bytes F0: 90..BF, F1..F3: 80..BF, F4: 80..8F; 2 x 2 tails */
	assert_int_equal(valid, (48 + 3 * 64 + 16) * 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_text),
		cmocka_unit_test(test_refuses_controls),
		cmocka_unit_test(test_refuses_bad_utf8),
		cmocka_unit_test(test_utf8_agrees_with_iconv_exhaustive),
		cmocka_unit_test(test_utf8_agrees_with_iconv_4_bytes),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
