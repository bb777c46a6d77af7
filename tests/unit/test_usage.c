/* Unit tests for src/usage.c: a worker's count of requests per key and
 * hour, and when it writes them.  The store is a fake that keeps the three
 * array literals it is given and answers what the test says. */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <string.h>

#include "keyfin/usage.h"

static struct {
	int calls;
	enum store_status answer;
	char ids[USAGE_SLOTS * 21 + 3], hours[USAGE_SLOTS * 21 + 3], requests[USAGE_SLOTS * 21 + 3];
} fake;

enum store_status store_usage_add(struct store *s, const char *key_ids, const char *hours,
				  const char *requests)
{
	(void)s;
	fake.calls++;
	snprintf(fake.ids, sizeof(fake.ids), "%s", key_ids);
	snprintf(fake.hours, sizeof(fake.hours), "%s", hours);
	snprintf(fake.requests, sizeof(fake.requests), "%s", requests);
	return fake.answer;
}

#define HOUR 3600
#define T0 1796562000           /* on the hour */
#define INTERVAL 60

static struct usage u;

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	usage_init(&u, 1000);
	return 0;
}

/* The sum of the numbers of a literal "{a,b,...}". */
static long long sum(const char *literal)
{
	long long total = 0;

	for (const char *p = literal + 1; *p && *p != '}';) {
		char *end;

		total += strtoll(p, &end, 10);
		p = *end == ',' ? end + 1 : end;
	}
	return total;
}

static void test_nothing_to_write(void **state)
{
	(void)state;
	assert_int_equal(usage_wait_ms(&u, INTERVAL, -1, 1000), -1);
	assert_int_equal(usage_wait_ms(&u, INTERVAL, 250, 1000), 250);
	usage_write(&u, NULL, INTERVAL, true, 1000);
	assert_int_equal(fake.calls, 0);
}

static void test_counts_add_up_per_key_and_hour(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++)
		usage_count(&u, 7, T0 + 10 + i);
	usage_count(&u, 7, T0 + HOUR + 1);     /* the next hour */
	usage_count(&u, 9, T0 + 59);
	assert_int_equal(u.used, 3);
	usage_write(&u, NULL, INTERVAL, true, 1000);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(sum(fake.requests), 7);
	/* three entries: key 7 twice (two hours), key 9 once, hours on the hour */
	assert_int_equal(sum(fake.ids), 7 + 7 + 9);
	assert_int_equal(sum(fake.hours), 3LL * T0 + HOUR);
	assert_int_equal(u.used, 0);
}

static void test_written_at_most_once_an_interval(void **state)
{
	(void)state;
	usage_count(&u, 1, T0);
	assert_int_equal(usage_wait_ms(&u, INTERVAL, -1, 1000), INTERVAL * 1000);
	assert_int_equal(usage_wait_ms(&u, INTERVAL, 5, 1000), 5);
	usage_write(&u, NULL, INTERVAL, false, 1000 + INTERVAL * 1000 - 1);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(usage_wait_ms(&u, INTERVAL, -1, 1000 + INTERVAL * 1000 + 7), 0);
	usage_write(&u, NULL, INTERVAL, false, 1000 + INTERVAL * 1000);
	assert_int_equal(fake.calls, 1);
	usage_count(&u, 1, T0);
	usage_write(&u, NULL, INTERVAL, false, 1000 + INTERVAL * 1000 + 1);
	assert_int_equal(fake.calls, 1);        /* the next one waits its turn */
}

static void test_kept_when_the_database_says_no(void **state)
{
	(void)state;
	usage_count(&u, 3, T0);
	fake.answer = STORE_UNAVAILABLE;
	usage_write(&u, NULL, INTERVAL, true, 5000);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(u.used, 1);
	usage_count(&u, 3, T0 + 1);
	fake.answer = STORE_OK;
	usage_write(&u, NULL, INTERVAL, false, 5000 + INTERVAL * 1000);
	assert_int_equal(fake.calls, 2);
	assert_string_equal(fake.requests, "{2}");
}

static void test_full_table_loses_and_says_so(void **state)
{
	(void)state;
	for (int k = 1; k <= USAGE_SLOTS; k++)
		usage_count(&u, k, T0);
	assert_int_equal(u.used, USAGE_SLOTS);
	usage_count(&u, USAGE_SLOTS + 1, T0);  /* no room */
	usage_count(&u, 1, T0);                 /* but a known pair still counts */
	assert_int_equal(u.lost, 1);
	usage_write(&u, NULL, INTERVAL, true, 2000);
	assert_int_equal(sum(fake.requests), USAGE_SLOTS + 1);
	assert_int_equal(u.lost, 0);
	assert_int_equal(u.used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nothing_to_write, setup),
		cmocka_unit_test_setup(test_counts_add_up_per_key_and_hour, setup),
		cmocka_unit_test_setup(test_written_at_most_once_an_interval, setup),
		cmocka_unit_test_setup(test_kept_when_the_database_says_no, setup),
		cmocka_unit_test_setup(test_full_table_loses_and_says_so, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
