#include "keyfin/metrics.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "keyfin/monotime.h"
#include "keyfin/throttle.h"

#define METRICS_ROUTES_MAX 48

/* The statuses keyfin answers with; anything else counts as "other". */
static const int statuses[] = { 200, 204, 400, 401, 403, 404, 405, 413, 414, 429, 500, 503 };
#define STATUS_COUNT (sizeof(statuses) / sizeof(statuses[0]))

/* Upper bounds of the latency buckets, in seconds (plus +Inf). */
static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				  0.1, 0.25, 0.5, 1, 2.5 };
#define BUCKET_COUNT (sizeof(buckets) / sizeof(buckets[0]))

struct metrics_shared {
	uint64_t requests[METRICS_ROUTES_MAX + 1][STATUS_COUNT + 1];   /* +1: unknown / other */
	uint64_t latency[BUCKET_COUNT + 1];
	uint64_t latency_sum_us;
	uint64_t latency_count;
	uint64_t auth_failures[2];      /* 401, 403 */
	uint64_t login_failures;
	uint64_t auth_remembered;
	uint64_t db_errors;
	uint64_t db_reconnects;
	uint64_t db_timeouts;
	uint64_t auth_throttled;
	uint64_t auth_known_bad;
	uint64_t worker_restarts;
	uint64_t workers_alive;
};

static struct metrics_shared *shared;
static const char *const *route_names;
static size_t route_count;

int metrics_init(const char *const *routes, size_t count)
{
	void *p;

	if (count > METRICS_ROUTES_MAX)
		count = METRICS_ROUTES_MAX;
	p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	shared = p;
	route_names = routes;
	route_count = count;
	return 0;
}

static void add(uint64_t *counter, uint64_t n)
{
	if (shared != NULL)
		__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void metrics_request(int route, int status, double seconds)
{
	size_t r = route < 0 || (size_t)route >= route_count ? METRICS_ROUTES_MAX : (size_t)route;
	size_t s = STATUS_COUNT, b = 0;

	if (shared == NULL)
		return;
	for (size_t i = 0; i < STATUS_COUNT; i++)
		if (statuses[i] == status)
			s = i;
	while (b < BUCKET_COUNT && seconds > buckets[b])
		b++;
	add(&shared->requests[r][s], 1);
	add(&shared->latency[b], 1);
	add(&shared->latency_sum_us, seconds > 0 ? (uint64_t)(seconds * 1e6) : 0);
	add(&shared->latency_count, 1);
}

void metrics_auth_failure(int status)
{
	if (shared != NULL)
		add(&shared->auth_failures[status == 403], 1);
}

/* Counters that only go up by one: a function each, named for what it counts. */
#define COUNTER(fn, field)                              \
	void fn(void)                                   \
	{                                               \
		if (shared != NULL)                     \
			add(&shared->field, 1);         \
	}

COUNTER(metrics_auth_remembered, auth_remembered)
COUNTER(metrics_login_failure, login_failures)
COUNTER(metrics_db_error, db_errors)
COUNTER(metrics_db_reconnect, db_reconnects)
COUNTER(metrics_db_timeout, db_timeouts)
COUNTER(metrics_auth_throttled, auth_throttled)
COUNTER(metrics_auth_known_bad, auth_known_bad)

void metrics_workers(int alive)
{
	if (shared != NULL)
		__atomic_store_n(&shared->workers_alive, (uint64_t)alive, __ATOMIC_RELAXED);
}

void metrics_worker_restart(void)
{
	if (shared != NULL)
		add(&shared->worker_restarts, 1);
}

/* A growing text buffer; on out-of-memory it stops growing and says so. */
struct text {
	char *buf;
	size_t len, cap;
	int failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		char *grown = realloc(t->buf, t->cap * 2 + (size_t)n);

		if (grown == NULL) {
			t->failed = 1;
			return;
		}
		t->buf = grown;
		t->cap = t->cap * 2 + (size_t)n;
	}
}

static void put_counter(struct text *t, const char *name, const char *help, uint64_t v)
{
	put(t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	    (unsigned long long)v);
}

char *metrics_render(size_t *len)
{
	struct text t = { malloc(16384), 0, 16384, 0 };
	uint64_t cumulative = 0;

	if (t.buf == NULL)
		return NULL;
	if (shared == NULL) {
		put(&t, "# keyfin metrics are not enabled\n");
		*len = t.len;
		return t.buf;
	}
	put(&t, "# HELP keyfin_requests_total Requests answered, by route and status.\n"
	     "# TYPE keyfin_requests_total counter\n");
	for (size_t r = 0; r <= METRICS_ROUTES_MAX; r++) {
		const char *route = r < route_count ? route_names[r] : "unknown";

		if (r >= route_count && r != METRICS_ROUTES_MAX)
			continue;
		for (size_t s = 0; s <= STATUS_COUNT; s++) {
			uint64_t v = get(&shared->requests[r][s]);
			char status[8];

			if (v == 0)
				continue;
			snprintf(status, sizeof(status), "%d", s < STATUS_COUNT ? statuses[s] : 0);
			put(&t, "keyfin_requests_total{route=\"%s\",status=\"%s\"} %llu\n", route,
			    s < STATUS_COUNT ? status : "other", (unsigned long long)v);
		}
	}
	put(&t, "# HELP keyfin_request_duration_seconds Time from accept to answer.\n"
	     "# TYPE keyfin_request_duration_seconds histogram\n");
	for (size_t b = 0; b <= BUCKET_COUNT; b++) {
		cumulative += get(&shared->latency[b]);
		if (b < BUCKET_COUNT)
			put(&t, "keyfin_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			    buckets[b], (unsigned long long)cumulative);
		else
			put(&t, "keyfin_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cumulative);
	}
	put(&t, "keyfin_request_duration_seconds_sum %.6f\n",
	    (double)get(&shared->latency_sum_us) / 1e6);
	put(&t, "keyfin_request_duration_seconds_count %llu\n",
	    (unsigned long long)get(&shared->latency_count));
	put(&t, "# HELP keyfin_auth_failures_total Requests refused for their credentials.\n"
	     "# TYPE keyfin_auth_failures_total counter\n"
	     "keyfin_auth_failures_total{status=\"401\"} %llu\n"
	     "keyfin_auth_failures_total{status=\"403\"} %llu\n",
	     (unsigned long long)get(&shared->auth_failures[0]),
	     (unsigned long long)get(&shared->auth_failures[1]));
	put_counter(&t, "keyfin_login_failures_total", "Logins refused (wrong name or "
		    "password, disabled or locked user).", get(&shared->login_failures));
	put_counter(&t, "keyfin_auth_remembered_total", "Credentials a worker knew "
		    "without asking the database (KEYFIN_AUTH_CACHE_MS).",
		    get(&shared->auth_remembered));
	put_counter(&t, "keyfin_db_errors_total", "Database calls that failed "
		    "(unreachable included).", get(&shared->db_errors));
	put_counter(&t, "keyfin_db_reconnects_total", "Connections to PostgreSQL made "
		    "again after one was lost.", get(&shared->db_reconnects));
	put_counter(&t, "keyfin_db_timeouts_total", "Round trips to PostgreSQL (connecting "
		    "included) given up after KEYFIN_DB_TIMEOUT.", get(&shared->db_timeouts));
	put_counter(&t, "keyfin_auth_throttled_total", "Requests answered 429 because their "
		    "address sent too many failed credentials.", get(&shared->auth_throttled));
	put_counter(&t, "keyfin_auth_known_bad_total", "Unknown tokens refused from a worker's "
		    "memory of recent misses, without a lookup.", get(&shared->auth_known_bad));
	put(&t, "# HELP keyfin_auth_throttled_addresses Addresses throttled now.\n"
	    "# TYPE keyfin_auth_throttled_addresses gauge\n"
	    "keyfin_auth_throttled_addresses %d\n", throttle_active(monotime_ms()));
	put_counter(&t, "keyfin_worker_restarts_total", "Workers that died and were "
		    "replaced.", get(&shared->worker_restarts));
	put(&t, "# HELP keyfin_workers_alive Worker processes running now.\n"
	     "# TYPE keyfin_workers_alive gauge\nkeyfin_workers_alive %llu\n",
	     (unsigned long long)get(&shared->workers_alive));
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	*len = t.len;
	return t.buf;
}
