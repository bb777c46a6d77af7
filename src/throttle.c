#include "keyfin/throttle.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define SLOTS 4096              /* addresses tracked at once */
#define PROBE 8                 /* slots an address may take */
#define GOOD_SLOTS 4096         /* credentials known good */
#define ADDR_MAX 48             /* an IPv6 address in text */

struct slot {
	char addr[ADDR_MAX];            /* "" free */
	double level;                   /* failures not yet leaked away */
	int64_t at_ms;                  /* when `level` was last brought up to date */
	bool throttled;
	bool noted;                     /* this episode was reported: until the
					 * address is wholly forgiven (level 0) */
};

struct table {
	pthread_mutex_t lock;           /* robust: a worker killed inside it */
	struct slot slot[SLOTS];
	uint64_t good[GOOD_SLOTS];      /* 8 bytes of a keyed digest; 0 free */
};

static struct table *table;
static double burst, per_ms;

int throttle_init(int burst_count, int rate_per_minute)
{
	pthread_mutexattr_t attr;
	void *p;

	if (burst_count <= 0)
		return 0;
	p = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	table = p;
	burst = burst_count;
	per_ms = rate_per_minute / 60000.0;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&table->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return 0;
}

static void lock(void)
{
	if (pthread_mutex_lock(&table->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&table->lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&table->lock);
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;       /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Leak what has leaked since the slot was last seen; a throttled address
 * is free again once it is under the burst. */
static void bring_up_to_date(struct slot *s, int64_t now_ms)
{
	if (now_ms > s->at_ms) {
		s->level -= (double)(now_ms - s->at_ms) * per_ms;
		if (s->level < 0)
			s->level = 0;
		s->at_ms = now_ms;
	}
	if (s->throttled && s->level < burst)
		s->throttled = false;
	if (s->level == 0)
		s->noted = false;
}

/* The slot of `addr`, or (`make`) a free or the emptiest one of its probe
 * sequence; NULL when not found (and not made). */
static struct slot *find(const char *addr, int64_t now_ms, bool make)
{
	uint32_t h = hash(addr);
	struct slot *victim = NULL;

	for (int i = 0; i < PROBE; i++) {
		struct slot *s = &table->slot[(h + (uint32_t)i) % SLOTS];

		if (strcmp(s->addr, addr) == 0) {
			bring_up_to_date(s, now_ms);
			return s;
		}
		if (!make)
			continue;
		if (s->addr[0] != '\0')
			bring_up_to_date(s, now_ms);
		if (victim == NULL || s->addr[0] == '\0' ||
		    (victim->addr[0] != '\0' && s->level < victim->level))
			victim = s;
	}
	if (victim != NULL) {
		memset(victim, 0, sizeof(*victim));
		snprintf(victim->addr, sizeof(victim->addr), "%s", addr);
		victim->at_ms = now_ms;
	}
	return victim;
}

int throttle_wait(const char *addr, int64_t now_ms)
{
	struct slot *s;
	int wait = 0;

	if (table == NULL || addr == NULL || strlen(addr) >= ADDR_MAX)
		return 0;
	lock();
	s = find(addr, now_ms, false);
	if (s != NULL && s->throttled) {
		/* until the bucket is under the burst again, at least a second */
		wait = (int)((s->level - burst) / (per_ms * 1000.0)) + 1;
		if (per_ms <= 0 || wait > 3600)
			wait = 3600;
	}
	unlock();
	return wait;
}

bool throttle_failed(const char *addr, int64_t now_ms)
{
	struct slot *s;
	bool started = false;

	if (table == NULL || addr == NULL || strlen(addr) >= ADDR_MAX)
		return false;
	lock();
	s = find(addr, now_ms, true);
	if (s != NULL) {
		/* capped: a flood that stops is forgiven in burst / rate */
		if (s->level < 2 * burst)
			s->level += 1;
		if (!s->throttled && s->level > burst) {
			s->throttled = true;
			/* once an episode: an address hovering at the burst (one
			 * failure forgiven, one more sent) is not a new one */
			started = !s->noted;
			s->noted = true;
		}
	}
	unlock();
	return started;
}

static uint64_t good_of(const unsigned char digest[TOKEN_DIGEST_LEN])
{
	uint64_t v;

	memcpy(&v, digest + 8, sizeof(v));     /* a keyed hash: already uniform */
	return v == 0 ? 1 : v;
}

void throttle_good(const unsigned char digest[TOKEN_DIGEST_LEN], bool good)
{
	uint64_t v, was;

	if (table == NULL)
		return;
	v = good_of(digest);
	if (good) {
		__atomic_store_n(&table->good[v % GOOD_SLOTS], v, __ATOMIC_RELAXED);
		return;
	}
	/* no longer good (revoked): only its own mark goes */
	was = v;
	__atomic_compare_exchange_n(&table->good[v % GOOD_SLOTS], &was, 0, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

bool throttle_is_good(const unsigned char digest[TOKEN_DIGEST_LEN])
{
	uint64_t v;

	if (table == NULL)
		return false;
	v = good_of(digest);
	return __atomic_load_n(&table->good[v % GOOD_SLOTS], __ATOMIC_RELAXED) == v;
}

int throttle_active(int64_t now_ms)
{
	int n = 0;

	if (table == NULL)
		return 0;
	lock();
	for (int i = 0; i < SLOTS; i++) {
		if (table->slot[i].addr[0] == '\0')
			continue;
		bring_up_to_date(&table->slot[i], now_ms);
		n += table->slot[i].throttled;
	}
	unlock();
	return n;
}
