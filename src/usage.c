/* usage: requests per key and hour, added up in memory (include/keyfin/usage.h). */
#include "keyfin/usage.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "keyfin/log.h"

/* Room for USAGE_SLOTS numbers of up to 20 digits, commas and braces. */
#define USAGE_LITERAL_MAX (USAGE_SLOTS * 21 + 3)

void usage_init(struct usage *u, int64_t now_ms)
{
	memset(u, 0, sizeof(*u));
	u->last_write_ms = now_ms;
}

static size_t usage_hash(int64_t key_id, int64_t hour_s)
{
	uint64_t h = (uint64_t)key_id * 0x9e3779b97f4a7c15u ^ (uint64_t)(hour_s / USAGE_HOUR_S);

	return (size_t)((h ^ (h >> 29)) % USAGE_SLOTS);
}

void usage_count(struct usage *u, int64_t key_id, int64_t now_s)
{
	int64_t hour_s = now_s - now_s % USAGE_HOUR_S;
	size_t i = usage_hash(key_id, hour_s);

	/* open addressing: the pair's slot, or the first free one after it */
	for (int probes = 0; probes < USAGE_SLOTS; probes++, i = (i + 1) % USAGE_SLOTS) {
		struct usage_slot *s = &u->slot[i];

		if (s->key_id == key_id && s->hour_s == hour_s) {
			s->requests++;
			return;
		}
		if (s->key_id == 0) {
			*s = (struct usage_slot){ key_id, hour_s, 1 };
			u->used++;
			return;
		}
	}
	u->lost++;
}

int usage_wait_ms(const struct usage *u, int interval_s, int other_ms, int64_t now_ms)
{
	int64_t left;

	if (u->used == 0 && u->lost == 0)
		return other_ms;
	left = u->last_write_ms + (int64_t)interval_s * 1000 - now_ms;
	if (left < 0)
		left = 0;
	return other_ms >= 0 && other_ms < left ? other_ms : (int)left;
}

/* "{a,b,...}" of one field of the used slots. */
static void usage_literal(const struct usage *u, size_t field, char *out)
{
	char *o = out;

	*o++ = '{';
	for (int i = 0; i < USAGE_SLOTS; i++) {
		const struct usage_slot *s = &u->slot[i];
		const int64_t *v = (const int64_t *)((const char *)s + field);

		if (s->key_id == 0)
			continue;
		o += sprintf(o, "%s%" PRId64, o == out + 1 ? "" : ",", *v);
	}
	*o++ = '}';
	*o = '\0';
}

void usage_write(struct usage *u, struct store *s, int interval_s, bool now, int64_t now_ms)
{
	static char ids[USAGE_LITERAL_MAX], hours[USAGE_LITERAL_MAX], requests[USAGE_LITERAL_MAX];
	enum store_status st;

	if (u->used == 0 && u->lost == 0)
		return;
	if (!now && now_ms - u->last_write_ms < (int64_t)interval_s * 1000)
		return;
	u->last_write_ms = now_ms;
	if (u->lost > 0) {
		log_msg(LOG_WARN, "usage", "%" PRId64 " request(s) not counted: more than %d "
			"keys and hours between two writes", u->lost, USAGE_SLOTS);
		u->lost = 0;
	}
	if (u->used == 0)
		return;
	usage_literal(u, offsetof(struct usage_slot, key_id), ids);
	usage_literal(u, offsetof(struct usage_slot, hour_s), hours);
	usage_literal(u, offsetof(struct usage_slot, requests), requests);
	st = store_usage_add(s, ids, hours, requests);
	if (st != STORE_OK) {
		/* kept for the next write; a database that is away is logged already */
		if (st != STORE_UNAVAILABLE)
			log_msg(LOG_WARN, "usage", "could not write the usage counts");
		return;
	}
	memset(u->slot, 0, sizeof(u->slot));
	u->used = 0;
}
