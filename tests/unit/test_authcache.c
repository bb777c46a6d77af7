/* Unit tests for src/authcache.c: a worker's memory of who a token is.  The
 * clock is the `now` each call is given; the revocation counter is a fake
 * whose value, connection and failure the tests set. */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/authcache.h"

#define MS 1000LL               /* microseconds */
#define WINDOW_MS 50

struct counter {
	int64_t value;
	int window_ms;                  /* the database's window */
	uint64_t connects;
	bool down;
	int reads;
};

static int read_counter(void *ctx, int64_t *generation, int *window_ms, uint64_t *connects)
{
	struct counter *k = ctx;

	k->reads++;
	*connects = k->connects;
	if (k->down)
		return -1;
	*generation = k->value;
	*window_ms = k->window_ms;
	return 0;
}

static void digest_of(int n, unsigned char d[TOKEN_DIGEST_LEN])
{
	memset(d, 0, TOKEN_DIGEST_LEN);
	memcpy(d, &n, sizeof(n));       /* the slot comes from the first bytes */
	d[TOKEN_DIGEST_LEN - 1] = (unsigned char)(n >> 24 ^ 0x5a);
}

static struct store_principal key_principal(int64_t id, int64_t expires_in_us)
{
	struct store_principal p;

	memset(&p, 0, sizeof(p));
	p.kind = STORE_PRINCIPAL_KEY;
	p.id = id;
	p.address_allowed = true;
	p.expires_in_us = expires_in_us;
	return p;
}

struct fixture {
	struct authcache cache;
	struct counter counter;
	unsigned char d1[TOKEN_DIGEST_LEN], d2[TOKEN_DIGEST_LEN];
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	authcache_init(&f.cache, 1000);        /* KEYFIN_AUTH_CACHE_MS unset */
	f.counter.value = 7;
	f.counter.window_ms = WINDOW_MS;
	f.counter.connects = 1;
	digest_of(1, f.d1);
	digest_of(2, f.d2);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	authcache_release(&f->cache);
	return 0;
}

/* Remember key 42 for d1 from 10.0.0.1, looked up at t=0 with counter 7. */
static void remember(struct fixture *f, int64_t expires_in_us)
{
	struct store_principal p = key_principal(42, expires_in_us);

	authcache_remember(&f->cache, f->d1, "10.0.0.1", &p, f->counter.value,
			   f->counter.window_ms, 0, f->counter.connects);
}

static struct authcache_entry *recall(struct fixture *f, const unsigned char *d,
				      const char *remote, int64_t now_us)
{
	return authcache_recall(&f->cache, d, remote, now_us, f->counter.connects,
				read_counter, &f->counter);
}

static void test_hit_within_window(void **state)
{
	struct fixture *f = *state;
	struct authcache_entry *e;

	remember(f, 0);
	e = recall(f, f->d1, "10.0.0.1", 10 * MS);
	assert_non_null(e);
	assert_int_equal(e->who.id, 42);
	assert_int_equal(f->counter.reads, 0);  /* within the window: no read */
}

static void test_miss(void **state)
{
	struct fixture *f = *state;

	assert_null(recall(f, f->d1, "10.0.0.1", 0));             /* nothing yet */
	remember(f, 0);
	assert_null(recall(f, f->d2, "10.0.0.1", 10 * MS));        /* another token */
	assert_null(recall(f, f->d1, "10.0.0.2", 10 * MS));        /* another address */
	assert_null(recall(f, f->d1, NULL, 10 * MS));
}

static void test_window_elapsed_reads_counter(void **state)
{
	struct fixture *f = *state;

	remember(f, 0);
	/* past the window, the counter unchanged: read once, still a hit */
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 1) * MS));
	assert_int_equal(f->counter.reads, 1);
	/* and the read counts from when it was made */
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 20) * MS));
	assert_int_equal(f->counter.reads, 1);
}

static void test_counter_moved_forgets(void **state)
{
	struct fixture *f = *state;

	remember(f, 0);
	f->counter.value = 8;   /* something was revoked */
	assert_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 1) * MS));
	/* and stays forgotten, even with the counter back where it was known */
	assert_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 2) * MS));
}

static void test_counter_backwards_forgets(void **state)
{
	struct fixture *f = *state;

	remember(f, 0);
	f->counter.value = 3;   /* a database restored from a backup */
	assert_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 1) * MS));
	assert_int_equal(f->cache.generation, 3);
}

static void test_counter_unreadable_is_no_answer(void **state)
{
	struct fixture *f = *state;

	remember(f, 0);
	f->counter.down = true;
	assert_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 1) * MS));
	assert_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 500) * MS));
	/* back, unchanged: the entry is good again */
	f->counter.down = false;
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 600) * MS));
}

static void test_other_connection_forgets(void **state)
{
	struct fixture *f = *state;

	remember(f, 0);
	/* a reconnect (maybe to another server after a failover), the same
	 * number: read at once, inside the window too, and forget */
	f->counter.connects = 2;
	assert_null(recall(f, f->d1, "10.0.0.1", 5 * MS));
	assert_int_equal(f->counter.reads, 1);
	assert_int_equal(f->cache.connects, 2);
}

static void test_expiry_by_database_clock(void **state)
{
	struct fixture *f = *state;

	remember(f, 30 * MS);   /* the key had 30 ms left when looked up */
	assert_non_null(recall(f, f->d1, "10.0.0.1", 29 * MS));
	assert_null(recall(f, f->d1, "10.0.0.1", 30 * MS));
}

static void test_ten_second_cap(void **state)
{
	struct fixture *f = *state;

	remember(f, 0);
	assert_non_null(recall(f, f->d1, "10.0.0.1", AUTHCACHE_MAX_AGE_US));
	assert_null(recall(f, f->d1, "10.0.0.1", AUTHCACHE_MAX_AGE_US + 1));
}

static void test_capacity_and_eviction(void **state)
{
	struct fixture *f = *state;
	unsigned char d[TOKEN_DIGEST_LEN], same_slot[TOKEN_DIGEST_LEN];
	int hits = 0;

	/* every slot filled */
	for (int i = 0; i < AUTHCACHE_SLOTS; i++) {
		struct store_principal p = key_principal(i, 0);

		digest_of(i, d);
		authcache_remember(&f->cache, d, "", &p, 7, WINDOW_MS, 0, 1);
	}
	for (int i = 0; i < AUTHCACHE_SLOTS; i++) {
		digest_of(i, d);
		hits += recall(f, d, "", MS) != NULL;
	}
	assert_int_equal(hits, AUTHCACHE_SLOTS);
	/* a token of the same slot takes it: the older one is looked up again */
	digest_of(AUTHCACHE_SLOTS, same_slot);
	{
		struct store_principal p = key_principal(999, 0);

		authcache_remember(&f->cache, same_slot, "", &p, 7, WINDOW_MS, 0, 1);
	}
	digest_of(0, d);
	assert_null(recall(f, d, "", MS));
	assert_int_equal(recall(f, same_slot, "", MS)->who.id, 999);
}

static void test_window_zero_remembers_nothing(void **state)
{
	struct fixture *f = *state;

	authcache_release(&f->cache);
	authcache_init(&f->cache, 0);
	remember(f, 0);
	assert_null(recall(f, f->d1, "10.0.0.1", 0));
}

/* The window is the database's: KEYFIN_AUTH_CACHE_MS (the cap) lowers it,
 * never raises it. */
static void test_cap_only_lowers(void **state)
{
	struct fixture *f = *state;

	/* a cap above the database's window: the database's counts */
	remember(f, 0);
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS - 1) * MS));
	assert_int_equal(f->counter.reads, 0);
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 1) * MS));
	assert_int_equal(f->counter.reads, 1);  /* past the database's window */
	/* a cap below it: the cap counts */
	authcache_release(&f->cache);
	authcache_init(&f->cache, 10);
	f->counter.reads = 0;
	remember(f, 0);
	assert_non_null(recall(f, f->d1, "10.0.0.1", 10 * MS));
	assert_int_equal(f->counter.reads, 0);
	assert_non_null(recall(f, f->d1, "10.0.0.1", 11 * MS));
	assert_int_equal(f->counter.reads, 1);
}

static void test_database_window_zero_remembers_nothing(void **state)
{
	struct fixture *f = *state;

	f->counter.window_ms = 0;
	remember(f, 0);
	assert_null(recall(f, f->d1, "10.0.0.1", 0));
	assert_null(recall(f, f->d1, "10.0.0.1", 1 * MS));
}

/* Each read's window counts from that read: a window read later is not
 * applied to an older read of the counter. */
static void test_window_follows_each_read(void **state)
{
	struct fixture *f = *state;

	remember(f, 0);                         /* read at 0 with 50 ms */
	/* the database's window is lowered to 10: the next read says so */
	f->counter.window_ms = 10;
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 1) * MS));
	assert_int_equal(f->counter.reads, 1);
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 11) * MS));
	assert_int_equal(f->counter.reads, 1);
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 12) * MS));
	assert_int_equal(f->counter.reads, 2);  /* 10 ms after the last read */
	/* raised to 1000 by a read at 62 ms: that read's window, from 62 ms */
	f->counter.window_ms = 1000;
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 23) * MS));
	assert_int_equal(f->counter.reads, 3);
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 12 + 1000) * MS));
	assert_int_equal(f->counter.reads, 3);
	/* ... and it is still 1000 at most, past the cap of the first read */
	assert_non_null(recall(f, f->d1, "10.0.0.1", (WINDOW_MS + 24 + 1000) * MS));
	assert_int_equal(f->counter.reads, 4);
}

/* The memory of unknown tokens: `counter` stands for the key list's version. */
static bool known_bad(struct fixture *f, const unsigned char *d, int64_t now_us)
{
	return authcache_known_bad(&f->cache, d, now_us, f->counter.connects,
				   read_counter, &f->counter);
}

static void miss(struct fixture *f, const unsigned char *d, int64_t sent_us, int64_t now_us)
{
	authcache_remember_bad(&f->cache, d, sent_us, now_us, f->counter.connects,
			       read_counter, &f->counter);
}

static void test_bad_needs_a_version_read_before(void **state)
{
	struct fixture *f = *state;

	/* no version known when the lookup was sent: not remembered, but the
	 * version is read for the next miss */
	miss(f, f->d1, 0, 1 * MS);
	assert_int_equal(f->counter.reads, 1);
	assert_false(known_bad(f, f->d1, 2 * MS));
	/* the next miss, sent after that read: remembered */
	miss(f, f->d1, 3 * MS, 4 * MS);
	assert_true(known_bad(f, f->d1, 5 * MS));
	assert_int_equal(f->counter.reads, 1);  /* within the window: no read */
	assert_false(known_bad(f, f->d2, 5 * MS));      /* another token */
}

static void test_bad_forgotten_when_a_key_changes(void **state)
{
	struct fixture *f = *state;

	miss(f, f->d1, 0, 0);
	miss(f, f->d1, 1 * MS, 1 * MS);
	assert_true(known_bad(f, f->d1, 2 * MS));
	/* a key made (or imported) since: the version moved */
	f->counter.value = 8;
	assert_true(known_bad(f, f->d1, 20 * MS));      /* inside the window */
	assert_false(known_bad(f, f->d1, (WINDOW_MS + 2) * MS));
	assert_false(known_bad(f, f->d1, (WINDOW_MS + 3) * MS));
}

static void test_bad_version_read_after_lookup_is_not_used(void **state)
{
	struct fixture *f = *state;

	/* a version read after the lookup was sent says nothing of keys
	 * made between the lookup and the read */
	miss(f, f->d2, 0, 0);                   /* reads the version at 0 */
	miss(f, f->d1, -1 * MS, 1 * MS);        /* a lookup sent before that read */
	assert_false(known_bad(f, f->d1, 2 * MS));
}

static void test_bad_unreadable_or_reconnected(void **state)
{
	struct fixture *f = *state;

	miss(f, f->d1, 0, 0);
	miss(f, f->d1, 1 * MS, 1 * MS);
	f->counter.down = true;
	assert_false(known_bad(f, f->d1, (WINDOW_MS + 5) * MS));
	f->counter.down = false;
	f->counter.connects = 2;        /* another server, maybe */
	assert_false(known_bad(f, f->d1, (WINDOW_MS + 6) * MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_within_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_miss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_elapsed_reads_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_moved_forgets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_backwards_forgets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_unreadable_is_no_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_connection_forgets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_by_database_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ten_second_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_and_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_zero_remembers_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_only_lowers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_database_window_zero_remembers_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_follows_each_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_needs_a_version_read_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_forgotten_when_a_key_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_version_read_after_lookup_is_not_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_unreadable_or_reconnected, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
