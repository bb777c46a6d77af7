/* Unit tests for src/pgarray.c: text[] literals PostgreSQL reads back as
 * the very strings given, or none at all. */
#include "cmocka_prelude.h"

#include <stdlib.h>
#include <string.h>

#include "keyfin/pgarray.h"

/* The literal of the `n` strings of `items`, in a buffer of `size`. */
static const char *literal(const char *const *items, size_t n, char *out, size_t size)
{
	struct pgarray a;

	pgarray_init(&a, out, size);
	for (size_t i = 0; i < n; i++)
		if (pgarray_add(&a, items[i]) < 0)
			return NULL;
	return pgarray_finish(&a);
}

#define CHECK(want, ...) do { \
	const char *const items_[] = { __VA_ARGS__ }; \
	char out_[256]; \
	const char *got_ = literal(items_, sizeof(items_) / sizeof(items_[0]), \
				   out_, sizeof(out_)); \
	assert_non_null(got_); \
	assert_string_equal(got_, want); \
} while (0)

static void test_empty(void **state)
{
	char out[8];
	struct pgarray a;

	(void)state;
	pgarray_init(&a, out, sizeof(out));
	assert_string_equal(pgarray_finish(&a), "{}");
	/* an empty string is an element, not nothing */
	CHECK("{\"\"}", "");
	CHECK("{\"\",\"\"}", "", "");
}

static void test_plain(void **state)
{
	(void)state;
	CHECK("{\"admin\"}", "admin");
	CHECK("{\"read\",\"/System/Info\"}", "read", "/System/Info");
	CHECK("{\"192.0.2.0/24\",\"2001:db8::/32\"}", "192.0.2.0/24", "2001:db8::/32");
}

/* The two characters that mean something inside quotes. */
static void test_quotes_and_backslashes(void **state)
{
	(void)state;
	CHECK("{\"a\\\"b\"}", "a\"b");
	CHECK("{\"\\\"\"}", "\"");
	CHECK("{\"a\\\\b\"}", "a\\b");
	CHECK("{\"\\\\\"}", "\\");
	/* a trailing backslash must not escape the closing quote */
	CHECK("{\"x\\\\\",\"y\"}", "x\\", "y");
	CHECK("{\"\\\\\\\"\"}", "\\\"");
}

/* What would split or end an unquoted element is text inside quotes. */
static void test_separators(void **state)
{
	(void)state;
	CHECK("{\"a,b\"}", "a,b");
	CHECK("{\"{x}\",\"}\",\"{\"}", "{x}", "}", "{");
	CHECK("{\" padded \",\"\t\"}", " padded ", "\t");
	CHECK("{\"a\nb\"}", "a\nb");
	CHECK("{\"H\xc3\xb6rb\xc3\xbc" "cher\"}", "H\xc3\xb6rb\xc3\xbc" "cher");
}

/* Unquoted, NULL would be a null element; quoted it is the word. */
static void test_null_words(void **state)
{
	(void)state;
	CHECK("{\"NULL\"}", "NULL");
	CHECK("{\"null\",\"NuLl\"}", "null", "NuLl");
	CHECK("{\"NULL\",\"\"}", "NULL", "");
}

/* Worst case: every byte escaped.  PGARRAY_SIZE is enough; the exact
 * size is enough; one byte less makes no literal and writes nothing past
 * the buffer. */
static void test_limits(void **state)
{
	enum { COUNT = 32, LEN = 200 };
	const char *items[COUNT];
	char quotes[LEN + 1];
	size_t exact = 1 + COUNT * (2 * LEN + 2) + (COUNT - 1) + 1 + 1;
	char *buf = malloc(PGARRAY_SIZE(COUNT, LEN) + 16);
	const char *got;

	(void)state;
	assert_non_null(buf);
	memset(quotes, '"', LEN);
	quotes[LEN] = '\0';
	for (size_t i = 0; i < COUNT; i++)
		items[i] = quotes;
	assert_true(exact <= PGARRAY_SIZE(COUNT, LEN));
	got = literal(items, COUNT, buf, PGARRAY_SIZE(COUNT, LEN));
	assert_non_null(got);
	assert_int_equal(strlen(got), exact - 1);
	memset(buf, 'X', PGARRAY_SIZE(COUNT, LEN) + 16);
	got = literal(items, COUNT, buf, exact);
	assert_non_null(got);
	assert_int_equal(strlen(got), exact - 1);
	assert_int_equal(got[exact - 2], '}');
	memset(buf, 'X', PGARRAY_SIZE(COUNT, LEN) + 16);
	assert_null(literal(items, COUNT, buf, exact - 1));
	for (size_t i = exact - 1; i < PGARRAY_SIZE(COUNT, LEN) + 16; i++)
		assert_int_equal(buf[i], 'X');
	free(buf);
}

/* Once something did not fit, nothing more goes in and no literal comes
 * out, even if a later element would fit. */
static void test_full_stays_full(void **state)
{
	char out[16];
	struct pgarray a;

	(void)state;
	pgarray_init(&a, out, sizeof(out));
	assert_int_equal(pgarray_add(&a, "abc"), 0);                  /* {"abc" */
	assert_int_equal(pgarray_add(&a, "much too long here"), -1);
	assert_int_equal(pgarray_add(&a, "d"), -1);
	assert_null(pgarray_finish(&a));
	/* too small even for {} */
	pgarray_init(&a, out, 2);
	assert_null(pgarray_finish(&a));
	pgarray_init(&a, out, 3);
	assert_int_equal(pgarray_add(&a, ""), -1);
	pgarray_init(&a, out, 3);
	assert_string_equal(pgarray_finish(&a), "{}");
	pgarray_init(&a, out, 5);
	assert_int_equal(pgarray_add(&a, ""), 0);
	assert_string_equal(pgarray_finish(&a), "{\"\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quotes_and_backslashes),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_null_words),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_full_stays_full),
	};

	return cmocka_run_group_tests_name("pgarray", tests, NULL, NULL);
}
