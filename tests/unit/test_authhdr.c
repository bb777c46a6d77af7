/*
 * Unit tests for src/authhdr.c: the `Authorization` header parser.
 *
 * test_row_*: one per row of the parser table in docs/jellyfin-compat.md s.2.
 * test_jf_*: rows ported from Jellyfin's own tests (file cited on each).
 * The rest: edge cases of the C port (lengths, NUL bytes, buffer limits).
 *
 * Inputs are string literals measured with sizeof, so an embedded NUL byte
 * is part of the input, as it would be for the parser.
 */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/authhdr.h"

static char scratch[AUTHHDR_MAX_INPUT * 2];
static struct authhdr hdr;

static enum authhdr_status parse(const char *s, size_t len, bool emby)
{
	return authhdr_parse(s, len, emby, scratch, sizeof(scratch), &hdr);
}

/* Legacy on (Emby allowed) unless a test says otherwise. */
#define PARSE(lit)              parse(lit, sizeof(lit) - 1, true)
#define PARSE_EMBY(lit, emby)   parse(lit, sizeof(lit) - 1, emby)
#define ASSERT_VALUE(v, lit)    check_value(v, lit, sizeof(lit) - 1)

static void check_value(const struct authhdr_value *v, const char *want,
			size_t want_len)
{
	assert_true(v->present);
	assert_non_null(v->ptr);
	assert_int_equal(v->len, want_len);
	assert_memory_equal(v->ptr, want, want_len == 0 ? 1 : want_len);
	assert_int_equal(v->ptr[v->len], '\0');
}

static void assert_absent(const struct authhdr_value *v)
{
	assert_false(v->present);
	assert_null(v->ptr);
	assert_int_equal(v->len, 0);
}

static void assert_all_absent(void)
{
	assert_absent(&hdr.token);
	assert_absent(&hdr.client);
	assert_absent(&hdr.device);
	assert_absent(&hdr.device_id);
	assert_absent(&hdr.version);
	assert_absent(&hdr.user_id);
}

/* ---- the compat table, row by row ---- */

static void test_row_token_quoted(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\"abc\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
	assert_absent(&hdr.client);
}

static void test_row_scheme_any_case(void **state)
{
	(void)state;
	assert_int_equal(PARSE("mediabrowser Token=\"abc\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
	assert_int_equal(PARSE("MEDIABROWSER Token=\"abc\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
}

static void test_row_two_spaces(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser  Token=\"abc\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
}

static void test_row_name_case_sensitive(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser token=\"abc\""), AUTHHDR_OK);
	assert_all_absent();
	assert_int_equal(PARSE("MediaBrowser TOKEN=\"abc\", client=\"x\""),
			 AUTHHDR_OK);
	assert_all_absent();
}

static void test_row_client_and_token(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Client=\"Heimdall\", Token=\"abc\""),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.client, "Heimdall");
	ASSERT_VALUE(&hdr.token, "abc");
}

static void test_row_unquoted(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=abc"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
}

static void test_row_quoted_comma_equals(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\"a,b=c\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "a,b=c");
}

static void test_row_percent_decoded(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\"a%2Fb\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "a/b");
}

static void test_row_plus_is_space(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Device=\"My+Phone\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.device, "My Phone");
}

static void test_row_malformed_percent_kept(void **state)
{
	(void)state;
	/* Hörbücher in UTF-8 */
	assert_int_equal(PARSE("MediaBrowser Device=\"%22%H\xc3\xb6rb\xc3\xbc" "cher\""),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.device, "\"%H\xc3\xb6rb\xc3\xbc" "cher");
}

static void test_row_space_before_comma(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\"abc\" , Client=\"x\""),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc\" ");
	ASSERT_VALUE(&hdr.client, "x");
}

static void test_row_duplicate_last_wins(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\"x\", Token=\"y\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "y");
}

static void test_row_second_equals_breaks_pair(void **state)
{
	(void)state;
	/* Name `ab` gets `cd`; it is not one of ours, so nothing is kept. */
	assert_int_equal(PARSE("MediaBrowser Token=ab=cd"), AUTHHDR_OK);
	assert_all_absent();
	/* Seen through a name we keep: `Client=Token=cd` sets Token. */
	assert_int_equal(PARSE("MediaBrowser Client=Token=cd"), AUTHHDR_OK);
	assert_absent(&hdr.client);
	ASSERT_VALUE(&hdr.token, "cd");
}

static void test_row_empty_token(void **state)
{
	(void)state;
	/* Present but empty: the caller treats it as "no token". */
	assert_int_equal(PARSE("MediaBrowser Token=\"\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "");
	assert_false(authhdr_is_blank(&hdr.token));
}

static void test_row_whitespace_token(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\" \""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, " ");
	assert_true(authhdr_is_blank(&hdr.token));
}

static void test_row_emby_scheme(void **state)
{
	(void)state;
	assert_int_equal(PARSE_EMBY("Emby Token=\"abc\"", true), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
	assert_int_equal(PARSE_EMBY("Emby Token=\"abc\"", false), AUTHHDR_NO_SCHEME);
	assert_all_absent();
}

static void test_row_bearer(void **state)
{
	(void)state;
	assert_int_equal(PARSE("Bearer abc"), AUTHHDR_NO_SCHEME);
	assert_all_absent();
	assert_int_equal(PARSE("Basic Token=abc"), AUTHHDR_NO_SCHEME);
	assert_all_absent();
}

static void test_row_scheme_without_space(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser"), AUTHHDR_NO_SCHEME);
	assert_all_absent();
}

static void test_row_client_only(void **state)
{
	(void)state;
	/* The X-Emby-Token fallback is auth.c's job; the parser gives no Token. */
	assert_int_equal(PARSE("MediaBrowser Client=\"x\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.client, "x");
	assert_absent(&hdr.token);
}

/* ---- ported from Jellyfin's tests ---- */

/*
 * tests/Jellyfin.Api.Tests/Auth/DefaultAuthorizationPolicy/
 * DefaultAuthorizationHandlerTests.cs, GetParts_ValidAuthHeader_Success_Data.
 * Those rows call GetParts directly with names x, y, z and param, which
 * keyfin drops: each row is run as written (behind the scheme) for "parses,
 * keeps nothing", then with the names swapped for ones we keep.
 */
static void test_jf_getparts_quoted_comma(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser x=\"123,123\",y=\"123\""), AUTHHDR_OK);
	assert_all_absent();
	assert_int_equal(PARSE("MediaBrowser Token=\"123,123\",Client=\"123\""),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "123,123");
	ASSERT_VALUE(&hdr.client, "123");
}

static void test_jf_getparts_spaces_and_single_quotes(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser x=\"123,123\",         y=\"123\",z=\"'hi'\""),
			 AUTHHDR_OK);
	assert_all_absent();
	assert_int_equal(PARSE("MediaBrowser Token=\"123,123\",         "
			       "Client=\"123\",Device=\"'hi'\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "123,123");
	ASSERT_VALUE(&hdr.client, "123");
	ASSERT_VALUE(&hdr.device, "'hi'");
}

static void test_jf_getparts_single(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser x=\"ab\""), AUTHHDR_OK);
	assert_all_absent();
	assert_int_equal(PARSE("MediaBrowser Token=\"ab\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "ab");
}

static void test_jf_getparts_utf8_unquoted(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser param=H\xc3\xb6rb\xc3\xbc" "cher"),
			 AUTHHDR_OK);
	assert_all_absent();
	assert_int_equal(PARSE("MediaBrowser Device=H\xc3\xb6rb\xc3\xbc" "cher"),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.device, "H\xc3\xb6rb\xc3\xbc" "cher");
}

static void test_jf_getparts_malformed_percent(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser param=%22%H\xc3\xb6rb\xc3\xbc" "cher"),
			 AUTHHDR_OK);
	assert_all_absent();
	assert_int_equal(PARSE("MediaBrowser Device=%22%H\xc3\xb6rb\xc3\xbc" "cher"),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.device, "\"%H\xc3\xb6rb\xc3\xbc" "cher");
}

/* tests/Jellyfin.Server.Integration.Tests/AuthHelper.cs, DummyAuthHeader. */
static void test_jf_integration_dummy_header(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Client=\"Jellyfin.Server%20Integration%20Tests\", "
			       "DeviceId=\"69420\", Device=\"Apple%20II\", Version=\"10.8.0\""),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.client, "Jellyfin.Server Integration Tests");
	ASSERT_VALUE(&hdr.device_id, "69420");
	ASSERT_VALUE(&hdr.device, "Apple II");
	ASSERT_VALUE(&hdr.version, "10.8.0");
	assert_absent(&hdr.token);
	assert_absent(&hdr.user_id);
}

/* ---- url_decode ---- */

#define DECODE(lit, buf)        authhdr_url_decode(lit, sizeof(lit) - 1, buf, sizeof(buf))

static void test_url_decode_malformed_percent(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(DECODE("%", out), 1);
	assert_string_equal(out, "%");
	assert_int_equal(DECODE("%4", out), 2);
	assert_string_equal(out, "%4");
	assert_int_equal(DECODE("%zz", out), 3);
	assert_string_equal(out, "%zz");
	assert_int_equal(DECODE("%4g", out), 3);
	assert_string_equal(out, "%4g");
	assert_int_equal(DECODE("%%41", out), 2);
	assert_string_equal(out, "%A");
	assert_int_equal(DECODE("a%", out), 2);
	assert_string_equal(out, "a%");
}

static void test_url_decode_escapes(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(DECODE("%41%42", out), 2);
	assert_string_equal(out, "AB");
	assert_int_equal(DECODE("%2f%2F", out), 2);
	assert_string_equal(out, "//");
	assert_int_equal(DECODE("+", out), 1);
	assert_string_equal(out, " ");
	assert_int_equal(DECODE("%2B", out), 1);
	assert_string_equal(out, "+");
	assert_int_equal(DECODE("%C3%B6", out), 2);
	assert_string_equal(out, "\xc3\xb6");
	assert_int_equal(DECODE("\xc3\xb6", out), 2);       /* raw UTF-8 kept */
	assert_string_equal(out, "\xc3\xb6");
	assert_int_equal(DECODE("", out), 0);
	assert_string_equal(out, "");
}

static void test_url_decode_nul(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(DECODE("%00", out), 1);
	assert_memory_equal(out, "\0", 2);
	assert_int_equal(DECODE("a%00b", out), 3);
	assert_memory_equal(out, "a\0b", 4);
	/* A raw NUL byte in the input is just a byte: length, not strlen. */
	assert_int_equal(DECODE("a\0b", out), 3);
	assert_memory_equal(out, "a\0b", 4);
}

static void test_url_decode_small_output(void **state)
{
	char out[8];

	(void)state;
	/* Room for the bytes and the NUL, exactly. */
	assert_int_equal(authhdr_url_decode("abc", 3, out, 4), 3);
	assert_string_equal(out, "abc");
	/* No room for the NUL: refused, and still terminated. */
	memset(out, 'X', sizeof(out));
	assert_int_equal(authhdr_url_decode("abc", 3, out, 3), (size_t)-1);
	assert_string_equal(out, "ab");
	assert_int_equal(out[3], 'X');
	/* The decoded length counts, not the input length. */
	assert_int_equal(authhdr_url_decode("%41%42", 6, out, 3), 2);
	assert_string_equal(out, "AB");
	assert_int_equal(authhdr_url_decode("", 0, out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(authhdr_url_decode("a", 1, out, 0), (size_t)-1);
	assert_int_equal(out[0], '\0');         /* untouched from above */
}

/* ---- edge cases of the parser ---- */

static void test_value_with_percent_nul(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\"a%00b\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "a\0b");
}

static void test_raw_nul_bytes(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\"a\0b\", Client=x"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "a\0b");
	ASSERT_VALUE(&hdr.client, "x");
	assert_int_equal(PARSE("Media\0Browser Token=x"), AUTHHDR_NO_SCHEME);
	assert_all_absent();
	assert_int_equal(PARSE("\0 Token=x"), AUTHHDR_NO_SCHEME);
	assert_int_equal(PARSE("MediaBrowser\0 Token=x"), AUTHHDR_NO_SCHEME);
}

static void test_empty_input(void **state)
{
	(void)state;
	assert_int_equal(PARSE(""), AUTHHDR_NO_SCHEME);
	assert_all_absent();
	assert_int_equal(authhdr_parse(NULL, 0, true, scratch, sizeof(scratch), &hdr),
			 AUTHHDR_NO_SCHEME);
	assert_all_absent();
	assert_int_equal(PARSE(" "), AUTHHDR_NO_SCHEME);
	assert_int_equal(PARSE(" MediaBrowser Token=x"), AUTHHDR_NO_SCHEME);
}

static void test_scheme_only_with_space(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser "), AUTHHDR_OK);
	assert_all_absent();
	assert_int_equal(PARSE("MediaBrowser ,,, = ,=\"\""), AUTHHDR_OK);
	assert_all_absent();
}

static void test_scheme_edges(void **state)
{
	(void)state;
	/* Only a space ends the scheme (IndexOf(' ')), not a tab. */
	assert_int_equal(PARSE("MediaBrowser\tToken=abc"), AUTHHDR_NO_SCHEME);
	assert_int_equal(PARSE("MediaBrowserX Token=abc"), AUTHHDR_NO_SCHEME);
	assert_int_equal(PARSE("MediaBrowse Token=abc"), AUTHHDR_NO_SCHEME);
	assert_int_equal(PARSE("Media Browser Token=abc"), AUTHHDR_NO_SCHEME);
	assert_int_equal(PARSE("Token=abc MediaBrowser"), AUTHHDR_NO_SCHEME);
	assert_all_absent();
}

static void test_emby_any_case(void **state)
{
	(void)state;
	assert_int_equal(PARSE_EMBY("emby Token=abc", true), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
	assert_int_equal(PARSE_EMBY("EMBY Token=abc", true), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
	assert_int_equal(PARSE_EMBY("eMbY Token=abc", false), AUTHHDR_NO_SCHEME);
	assert_all_absent();
	/* MediaBrowser does not depend on the legacy switch. */
	assert_int_equal(PARSE_EMBY("MediaBrowser Token=abc", false), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
}

static void test_too_long(void **state)
{
	static char big[AUTHHDR_MAX_INPUT + 2];
	static const char head[] = "MediaBrowser Client=\"x\", Token=\"";
	size_t n;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, head, sizeof(head) - 1);
	/* Exactly the limit is parsed. */
	n = AUTHHDR_MAX_INPUT;
	big[n - 1] = '"';
	assert_int_equal(parse(big, n, true), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.client, "x");
	assert_true(hdr.token.present);
	assert_int_equal(hdr.token.len, n - (sizeof(head) - 1) - 1);
	/* One byte more is refused whole. */
	n = AUTHHDR_MAX_INPUT + 1;
	big[n - 2] = 'a';
	big[n - 1] = '"';
	assert_int_equal(parse(big, n, true), AUTHHDR_TOO_LONG);
	assert_all_absent();
}

static void test_scratch_too_small(void **state)
{
	char small[8];
	static const char in[] = "MediaBrowser Client=\"x\", Token=\"abcdefgh\"";

	(void)state;
	memset(small, 'Z', sizeof(small));
	/* Client fits, Token does not: everything is dropped, nothing spills. */
	assert_int_equal(authhdr_parse(in, sizeof(in) - 1, true, small, 6, &hdr),
			 AUTHHDR_TOO_LONG);
	assert_all_absent();
	assert_int_equal(small[6], 'Z');
	assert_int_equal(small[7], 'Z');
	/* "x\0abcdefgh\0" is 11 bytes: 10 is one short, 11 is enough. */
	assert_int_equal(authhdr_parse(in, sizeof(in) - 1, true, scratch, 10, &hdr),
			 AUTHHDR_TOO_LONG);
	assert_all_absent();
	assert_int_equal(authhdr_parse(in, sizeof(in) - 1, true, scratch, 11, &hdr),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.client, "x");
	ASSERT_VALUE(&hdr.token, "abcdefgh");
	/* No scratch at all is fine while no kept name appears. */
	assert_int_equal(authhdr_parse("MediaBrowser a=b", 16, true, NULL, 0, &hdr),
			 AUTHHDR_OK);
	assert_int_equal(authhdr_parse("MediaBrowser Token=b", 20, true, NULL, 0, &hdr),
			 AUTHHDR_TOO_LONG);
	assert_all_absent();
}

static void test_many_pairs(void **state)
{
	static char big[AUTHHDR_MAX_INPUT];
	static const char head[] = "MediaBrowser ";
	size_t n = sizeof(head) - 1;
	int i;

	(void)state;
	/* The worst case for scratch: short kept pairs, each a fresh value. */
	memcpy(big, head, n);
	for (i = 0; n + 8 <= sizeof(big); i++) {
		memcpy(big + n, i % 2 ? "Token=b," : "Token=a,", 8);
		n += 8;
	}
	assert_int_equal(parse(big, n, true), AUTHHDR_OK);
	check_value(&hdr.token, i % 2 ? "a" : "b", 1);
	/* Thousands of names we do not keep. */
	n = sizeof(head) - 1;
	while (n + 4 <= sizeof(big)) {
		memcpy(big + n, "x=y,", 4);
		n += 4;
	}
	assert_int_equal(parse(big, n, true), AUTHHDR_OK);
	assert_all_absent();
	/* Nothing but separators and quotes. */
	memset(big + sizeof(head) - 1, ',', sizeof(big) - sizeof(head) + 1);
	assert_int_equal(parse(big, sizeof(big), true), AUTHHDR_OK);
	assert_all_absent();
	memset(big + sizeof(head) - 1, '"', sizeof(big) - sizeof(head) + 1);
	assert_int_equal(parse(big, sizeof(big), true), AUTHHDR_OK);
	assert_all_absent();
}

static void test_token_with_spaces(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=\"a b c\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "a b c");
	/* Spaces around an unquoted value are kept: only `"` is trimmed. */
	assert_int_equal(PARSE("MediaBrowser Token= abc "), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, " abc ");
	assert_int_equal(PARSE("MediaBrowser Token= \"abc\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, " \"abc");
	assert_false(authhdr_is_blank(&hdr.token));
}

static void test_is_blank(void **state)
{
	struct authhdr_value v = { NULL, 0, false };

	(void)state;
	assert_false(authhdr_is_blank(&v));
	assert_int_equal(PARSE("MediaBrowser Token=\" \t \""), AUTHHDR_OK);
	assert_true(authhdr_is_blank(&hdr.token));
	assert_int_equal(PARSE("MediaBrowser Token=+++"), AUTHHDR_OK);
	assert_true(authhdr_is_blank(&hdr.token));
	assert_int_equal(PARSE("MediaBrowser Token=%0A%0D%09%0B%0C"), AUTHHDR_OK);
	assert_true(authhdr_is_blank(&hdr.token));
	assert_int_equal(PARSE("MediaBrowser Token=\" a \""), AUTHHDR_OK);
	assert_false(authhdr_is_blank(&hdr.token));
	assert_int_equal(PARSE("MediaBrowser Token=%00"), AUTHHDR_OK);
	assert_false(authhdr_is_blank(&hdr.token));
	assert_int_equal(PARSE("MediaBrowser Client=x"), AUTHHDR_OK);
	assert_false(authhdr_is_blank(&hdr.token));
}

static void test_duplicates(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=x, Client=c1, Token=y, "
			       "Client=c2, Token=z"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "z");
	ASSERT_VALUE(&hdr.client, "c2");
	/* A later empty value still replaces an earlier one. */
	assert_int_equal(PARSE("MediaBrowser Token=x, Token=\"\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "");
}

static void test_key_reset_quirk(void **state)
{
	(void)state;
	/* An empty segment keeps the name: `abc` lands in Token. */
	assert_int_equal(PARSE("MediaBrowser Token=,abc"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
	assert_int_equal(PARSE("MediaBrowser Token=,,,abc"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
	/* After a value the name is reset: `abc` goes to name "". */
	assert_int_equal(PARSE("MediaBrowser Token=x,abc"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "x");
	/* A segment without `=` before any name is dropped. */
	assert_int_equal(PARSE("MediaBrowser abc, Token=x"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "x");
	/* Trailing comma. */
	assert_int_equal(PARSE("MediaBrowser Token=x,"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "x");
}

static void test_name_trimming(void **state)
{
	(void)state;
	/* A quoted name keeps its quotes, so it is not `Token`. */
	assert_int_equal(PARSE("MediaBrowser \"Token\"=\"abc\""), AUTHHDR_OK);
	assert_all_absent();
	/* Names are trimmed of whitespace, not inner spaces. */
	assert_int_equal(PARSE("MediaBrowser \t Token \r\n=abc"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc");
	assert_int_equal(PARSE("MediaBrowser Tok en=abc"), AUTHHDR_OK);
	assert_all_absent();
	/* Names are not URL-decoded. */
	assert_int_equal(PARSE("MediaBrowser Tok%65n=abc"), AUTHHDR_OK);
	assert_all_absent();
}

static void test_quotes(void **state)
{
	(void)state;
	/* Every `"` at either end goes, inner ones stay. */
	assert_int_equal(PARSE("MediaBrowser Token=\"\"a\"b\"\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "a\"b");
	/* An unclosed quote swallows the rest of the header. */
	assert_int_equal(PARSE("MediaBrowser Token=\"abc, Client=x"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "abc, Client=x");
	assert_absent(&hdr.client);
	/* No backslash escaping: `\"` still toggles. */
	assert_int_equal(PARSE("MediaBrowser Token=\"a\\\",b\", Client=x"),
			 AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "a\\");
	assert_absent(&hdr.client);
	/* `%22` is decoded after the trim, so it survives at the ends. */
	assert_int_equal(PARSE("MediaBrowser Token=%22abc%22"), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.token, "\"abc\"");
}

static void test_full_sdk_header(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Client=\"Jellyfin%20Web\", Device=\"Firefox\", "
			       "DeviceId=\"TW96aWxsYQ%3D%3D\", Version=\"10.11.0\", "
			       "Token=\"0123456789abcdef0123456789abcdef\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.client, "Jellyfin Web");
	ASSERT_VALUE(&hdr.device, "Firefox");
	ASSERT_VALUE(&hdr.device_id, "TW96aWxsYQ==");
	ASSERT_VALUE(&hdr.version, "10.11.0");
	ASSERT_VALUE(&hdr.token, "0123456789abcdef0123456789abcdef");
	assert_absent(&hdr.user_id);
	assert_int_equal(PARSE("MediaBrowser UserId=\"5d1ab6b1a6c04b5c9d5e2f1e2a8c9b7d\", "
			       "Token=\"0123456789abcdef0123456789abcdef\""), AUTHHDR_OK);
	ASSERT_VALUE(&hdr.user_id, "5d1ab6b1a6c04b5c9d5e2f1e2a8c9b7d");
	ASSERT_VALUE(&hdr.token, "0123456789abcdef0123456789abcdef");
}

static void test_out_cleared(void **state)
{
	(void)state;
	assert_int_equal(PARSE("MediaBrowser Token=abc, Client=x"), AUTHHDR_OK);
	assert_int_equal(PARSE("MediaBrowser Device=d"), AUTHHDR_OK);
	assert_absent(&hdr.token);
	assert_absent(&hdr.client);
	ASSERT_VALUE(&hdr.device, "d");
	assert_int_equal(PARSE("Bearer x"), AUTHHDR_NO_SCHEME);
	assert_all_absent();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_token_quoted),
		cmocka_unit_test(test_row_scheme_any_case),
		cmocka_unit_test(test_row_two_spaces),
		cmocka_unit_test(test_row_name_case_sensitive),
		cmocka_unit_test(test_row_client_and_token),
		cmocka_unit_test(test_row_unquoted),
		cmocka_unit_test(test_row_quoted_comma_equals),
		cmocka_unit_test(test_row_percent_decoded),
		cmocka_unit_test(test_row_plus_is_space),
		cmocka_unit_test(test_row_malformed_percent_kept),
		cmocka_unit_test(test_row_space_before_comma),
		cmocka_unit_test(test_row_duplicate_last_wins),
		cmocka_unit_test(test_row_second_equals_breaks_pair),
		cmocka_unit_test(test_row_empty_token),
		cmocka_unit_test(test_row_whitespace_token),
		cmocka_unit_test(test_row_emby_scheme),
		cmocka_unit_test(test_row_bearer),
		cmocka_unit_test(test_row_scheme_without_space),
		cmocka_unit_test(test_row_client_only),
		cmocka_unit_test(test_jf_getparts_quoted_comma),
		cmocka_unit_test(test_jf_getparts_spaces_and_single_quotes),
		cmocka_unit_test(test_jf_getparts_single),
		cmocka_unit_test(test_jf_getparts_utf8_unquoted),
		cmocka_unit_test(test_jf_getparts_malformed_percent),
		cmocka_unit_test(test_jf_integration_dummy_header),
		cmocka_unit_test(test_url_decode_malformed_percent),
		cmocka_unit_test(test_url_decode_escapes),
		cmocka_unit_test(test_url_decode_nul),
		cmocka_unit_test(test_url_decode_small_output),
		cmocka_unit_test(test_value_with_percent_nul),
		cmocka_unit_test(test_raw_nul_bytes),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_scheme_only_with_space),
		cmocka_unit_test(test_scheme_edges),
		cmocka_unit_test(test_emby_any_case),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_scratch_too_small),
		cmocka_unit_test(test_many_pairs),
		cmocka_unit_test(test_token_with_spaces),
		cmocka_unit_test(test_is_blank),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_key_reset_quirk),
		cmocka_unit_test(test_name_trimming),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_full_sdk_header),
		cmocka_unit_test(test_out_cleared),
	};

	return cmocka_run_group_tests_name("authhdr", tests, NULL, NULL);
}
