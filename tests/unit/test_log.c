/* Unit tests for src/log.c: the logfmt line, built without printf. */
#include "cmocka_prelude.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keyfin/log.h"

/* The line so far, as a C string (log_end() would add '\n' and write it). */
static const char *text(struct log_line *line)
{
	line->buf[line->len] = '\0';
	return line->buf;
}

static void assert_matches(const char *s, const char *pattern)
{
	regex_t re;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, s, 0, NULL, 0) != 0)
		fail_msg("\"%s\" does not match /%s/", s, pattern);
	regfree(&re);
}

static void test_begin(void **state)
{
	struct log_line line;
	char pid[32];

	(void)state;
	log_begin(&line, LOG_WARN, "request");
	assert_matches(text(&line), "^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
		       "\\.[0-9]{3}Z level=warn pid=[0-9]+ event=request$");
	snprintf(pid, sizeof(pid), " pid=%d ", (int)getpid());
	assert_non_null(strstr(text(&line), pid));
}

static void test_numbers(void **state)
{
	struct log_line line;

	(void)state;
	log_begin(&line, LOG_ERROR, "e");
	line.len = 0;
	log_int(&line, "status", 204);
	log_int(&line, "zero", 0);
	log_int(&line, "neg", -42);
	log_int(&line, "min", -9223372036854775807LL - 1);
	log_ms(&line, "ms", 1.2345);
	log_ms(&line, "small", 0.0004);
	log_ms(&line, "big", 12345.0625);
	assert_string_equal(text(&line), " status=204 zero=0 neg=-42 min=-9223372036854775808"
			    " ms=1.235 small=0.000 big=12345.063");
}

static void test_quoting(void **state)
{
	struct log_line line;

	(void)state;
	log_begin(&line, LOG_ERROR, "e");
	line.len = 0;
	log_str(&line, "a", "say \"hi\"\\");
	log_str(&line, "b", "line\nbreak\x7f");
	log_str(&line, "c", NULL);
	assert_string_equal(text(&line), " a=\"say \\\"hi\\\"\\\\\" b=\"line\\x0abreak\\x7f\" c=\"\"");
}

static void test_level_filter(void **state)
{
	struct log_line line;

	(void)state;
	log_set_level("warn");
	log_begin(&line, LOG_INFO, "quiet");
	log_str(&line, "a", "b");
	assert_false(line.enabled);
	assert_int_equal(line.len, 0);
	log_set_level("info");
}

/* A line never outgrows its buffer, whatever it is given. */
static void test_bounded(void **state)
{
	struct log_line line;
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_begin(&line, LOG_ERROR, "e");
	log_str(&line, "a", big);
	log_int(&line, "n", 1);
	assert_true(line.len <= sizeof(line.buf) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_begin),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_level_filter),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
