/*
 * usage: how many requests each API key makes, per hour, without a write
 * per request.  A worker adds up its keys' requests in memory
 * (usage_count, on every request a key is let through) and writes the
 * sums to PostgreSQL at most once every KEYFIN_USAGE_INTERVAL seconds
 * (usage_write, from the worker's loop, and once more when it stops), where
 * they are added to those of every other worker and instance
 * (sql/0010_key_usage.sql).  A database that is away keeps the counts in
 * memory for the next write.
 */
#ifndef KEYFIN_USAGE_H
#define KEYFIN_USAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "keyfin/store.h"

#define USAGE_SLOTS 1024        /* (key, hour) pairs one worker keeps between writes */
#define USAGE_HOUR_S 3600
#define USAGE_HOURS 168         /* what GET /keyfin/v1/keys/{id}/usage shows: 7 days */

struct usage_slot {
	int64_t key_id;         /* 0: a free slot */
	int64_t hour_s;         /* the hour's start, epoch seconds */
	int64_t requests;
};

struct usage {
	struct usage_slot slot[USAGE_SLOTS];
	int used;
	int64_t last_write_ms;  /* monotonic: of the last write, or of usage_init */
	int64_t lost;           /* requests not counted: every slot was taken */
};

void usage_init(struct usage *u, int64_t now_ms);

/* One request of key `key_id` at `now_s` (the time of day, seconds). */
void usage_count(struct usage *u, int64_t key_id, int64_t now_s);

/* How long the worker may wait before usage_write has something due:
 * `other_ms` (-1: for ever) or less. */
int usage_wait_ms(const struct usage *u, int interval_s, int other_ms, int64_t now_ms);

/* Write the counts if `interval_s` has passed since the last write (or
 * `now`: at once); they are forgotten once PostgreSQL has them. */
void usage_write(struct usage *u, struct store *s, int interval_s, bool now, int64_t now_ms);

#endif
