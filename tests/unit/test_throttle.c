/* Unit tests for src/throttle.c: the failed-credential leaky bucket of an
 * address.  The clock is the `now_ms` each call is given. */
#include "cmocka_prelude.h"

#include "keyfin/throttle.h"

#define BURST 3
#define RATE 60                 /* a minute: one forgiven a second */

static int setup_once(void **state)
{
	(void)state;
	return throttle_init(BURST, RATE);
}

static void test_burst_then_throttled(void **state)
{
	(void)state;
	for (int i = 0; i < BURST; i++) {
		assert_false(throttle_failed("10.0.0.1", 1000));
		assert_int_equal(throttle_wait("10.0.0.1", 1000), 0);
	}
	assert_true(throttle_failed("10.0.0.1", 1000));         /* the episode starts */
	assert_true(throttle_wait("10.0.0.1", 1000) >= 1);
	assert_int_equal(throttle_wait("10.0.0.2", 1000), 0);    /* not another address */
}

/* One forgiven, one more sent, again and again: one episode, said once. */
static void test_hovering_is_one_episode(void **state)
{
	int64_t t = 100000;

	(void)state;
	for (int i = 0; i <= BURST; i++)
		throttle_failed("10.0.1.1", t);
	assert_true(throttle_wait("10.0.1.1", t) >= 1);
	for (int round = 0; round < 5; round++) {
		t += 3000;              /* 3 forgiven: under the burst, free */
		assert_int_equal(throttle_wait("10.0.1.1", t), 0);
		for (int i = 0; i < 3; i++)     /* throttled again, not a new episode */
			assert_false(throttle_failed("10.0.1.1", t));
		assert_true(throttle_wait("10.0.1.1", t) >= 1);
	}
	/* wholly forgiven (2 x burst at most, one a second): a new episode */
	t += 10000;
	assert_int_equal(throttle_wait("10.0.1.1", t), 0);
	for (int i = 0; i < BURST; i++)
		assert_false(throttle_failed("10.0.1.1", t));
	assert_true(throttle_failed("10.0.1.1", t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_throttled),
		cmocka_unit_test(test_hovering_is_one_episode),
	};

	return cmocka_run_group_tests(tests, setup_once, NULL);
}
