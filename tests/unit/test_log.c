/* Unit tests for src/log.c: the logfmt line, built without printf. */
#include "cmocka_prelude.h"

#include <fcntl.h>
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

/* What reached stderr (a pipe) since the last call. */
static size_t drain(int fd, char *out, size_t cap)
{
	ssize_t n = read(fd, out, cap - 1);

	out[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void test_buffered(void **state)
{
	struct log_line line;
	char got[65536];
	int p[2], saved = dup(STDERR_FILENO);

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	dup2(p[1], STDERR_FILENO);
	log_set_buffered(1);
	log_begin(&line, LOG_INFO, "one");
	log_end(&line);
	log_begin(&line, LOG_INFO, "two");
	log_end(&line);
	assert_int_equal(drain(p[0], got, sizeof(got)), 0);     /* kept */
	log_flush();
	drain(p[0], got, sizeof(got));
	assert_non_null(strstr(got, "event=one\n"));
	assert_non_null(strstr(got, "event=two\n"));
	/* a warning goes out at once, after what was kept */
	log_begin(&line, LOG_INFO, "three");
	log_end(&line);
	log_begin(&line, LOG_WARN, "four");
	log_end(&line);
	drain(p[0], got, sizeof(got));
	assert_non_null(strstr(got, "event=three\n"));
	assert_true(strstr(got, "event=three") < strstr(got, "event=four"));
	/* more than the buffer holds: written as it fills, nothing lost */
	for (int i = 0; i < 400; i++) {
		log_begin(&line, LOG_INFO, "many");
		log_end(&line);
	}
	log_flush();
	{
		size_t total = 0, n;
		int lines = 0;

		while ((n = drain(p[0], got, sizeof(got))) > 0) {
			total += n;
			for (char *c = got; (c = strstr(c, "event=many\n")) != NULL; c++)
				lines++;
		}
		assert_int_equal(lines, 400);
		assert_true(total > 16384);
	}
	log_set_buffered(0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_begin),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_level_filter),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_buffered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
