#include "keyfin/revhold.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "keyfin/config.h"
#include "keyfin/log.h"
#include "keyfin/monotime.h"

void revhold_begin(struct req *r)
{
	http_defer(r);
}

int revhold_window(struct store *s)
{
	int ms;

	if (store_hold_ms(s, &ms) == STORE_OK && ms >= 0 && ms <= CONFIG_AUTH_CACHE_MS_MAX)
		return ms;
	/* no answer: as long as any worker anywhere may remember */
	log_msg(LOG_WARN, "revhold", "cannot read the window from the database: "
		"holding the answer %d ms", CONFIG_AUTH_CACHE_MS_MAX);
	return CONFIG_AUTH_CACHE_MS_MAX;
}

void revhold_end(struct req *r, struct store *s)
{
	if (r->status < 400 || r->status >= 500)
		r->hold_ms = revhold_window(s);
}

static void sleep_ms(int64_t us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	while (us > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void revhold_wait(int ms)
{
	sleep_ms((int64_t)ms * 1000);
}

void revhold_init(struct revhold *h, struct conns *conns)
{
	memset(h, 0, sizeof(*h));
	h->conns = conns;
}

int revhold_send_due(struct revhold *h, bool wait)
{
	int64_t next = 0, now = monotime_us();

	for (int i = 0; wait && i < REVHOLD_MAX; i++)
		if (h->due_us[i] != 0 && (next == 0 || h->due_us[i] < next))
			next = h->due_us[i];
	if (next > now) {
		sleep_ms(next - now);
		now = monotime_us();
	}
	next = 0;
	for (int i = 0; i < REVHOLD_MAX && h->count > 0; i++) {
		if (h->due_us[i] == 0)
			continue;
		if (h->due_us[i] <= now) {
			conns_answer(h->conns, h->fr[i], h->answer[i], h->answer_len[i]);
			h->answer[i] = NULL;
			h->fr[i] = NULL;
			h->due_us[i] = 0;
			h->count--;
		} else if (next == 0 || h->due_us[i] < next) {
			next = h->due_us[i];
		}
	}
	return next == 0 ? -1 : (int)((next - now + 999) / 1000);
}

void revhold_keep(struct revhold *h, FCGX_Request *fr, int hold_ms, char *answer, size_t len)
{
	int slot = 0;

	while (h->due_us[slot] != 0)    /* one is free: see below */
		slot++;
	h->fr[slot] = fr;
	h->due_us[slot] = monotime_us() + (int64_t)hold_ms * 1000;
	h->answer[slot] = answer;
	h->answer_len[slot] = len;
	if (++h->count == REVHOLD_MAX)
		revhold_send_due(h, true);
}
