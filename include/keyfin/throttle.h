/*
 * throttle: failed credentials per client address, counted by every worker
 * of an instance together (a table in shared memory, mapped before the
 * workers are forked), so that one client sending random tokens cannot make
 * keyfin look each of them up in PostgreSQL.
 *
 * Each address has a leaky bucket: a failure (an unknown, revoked or
 * expired token, a malformed one, a wrong login) adds one, and `rate` a
 * minute leak away.  Above `burst` the address is throttled: requests from
 * it whose credential this instance does not know to be good get 429 with
 * Retry-After, without a database lookup, until the bucket is below `burst`
 * again.  A credential that this instance has seen succeed (any worker,
 * remembered by a keyed digest) is never refused by it: an integration
 * polling fast from a busy address keeps working.
 *
 * The count is per instance: behind a load balancer that spreads one client
 * over N instances, that client gets N times the burst.
 */
#ifndef KEYFIN_THROTTLE_H
#define KEYFIN_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "keyfin/token.h"

/* Map the table; 0 or -1.  burst 0: never throttle.  Without it every
 * other call lets everything through. */
int throttle_init(int burst, int rate_per_minute);

/* 0: `addr` may have its credential looked up; else the seconds to say in
 * Retry-After (the address is throttled). */
int throttle_wait(const char *addr, int64_t now_ms);

/* A failed credential from `addr`.  true when this failure starts an
 * episode of throttling (say it once, in the audit trail): an address that
 * hovers at the burst, forgiven one failure and sending the next, is still
 * in its episode until it has been wholly forgiven. */
bool throttle_failed(const char *addr, int64_t now_ms);

/* A credential that succeeded (`good`), or that no longer does; and the
 * test for one. */
void throttle_good(const unsigned char digest[TOKEN_DIGEST_LEN], bool good);
bool throttle_is_good(const unsigned char digest[TOKEN_DIGEST_LEN]);

/* Addresses throttled at `now_ms` (for /metrics). */
int throttle_active(int64_t now_ms);

#endif
