/*
 * monotime: the monotonic clock, for durations and deadlines (never the
 * time of day).  One place for what the pool, the store, the workers'
 * memory of tokens and their held answers each computed for themselves.
 */
#ifndef KEYFIN_MONOTIME_H
#define KEYFIN_MONOTIME_H

#include <stdint.h>

int64_t monotime_us(void);
int64_t monotime_ms(void);

#endif
