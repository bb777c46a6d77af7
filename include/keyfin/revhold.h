/*
 * revhold: the rule "a revoking answer is held back", in one place.
 *
 * A worker answers from its memory of who a token is while it read the
 * revocation counter within the window that read gave it (the database's,
 * src/authcache.c).  So a request that takes a right away (the `revokes`
 * routes of src/route.c) may answer only once every worker anywhere has
 * either read the new counter or is past its window: the database's window
 * after its commit, read after the commit (a window raised before the
 * commit is then seen; while a lowering is under way, the old one counts:
 * sql/0007_auth_cache_window.sql).
 *
 * route.c marks such a request (revhold_begin: its whole answer is kept in
 * memory, since libfcgi writes whenever its 8 KiB buffer fills) and says
 * how long it waits (revhold_end).  A worker does not sleep meanwhile: it
 * keeps the finished answer back, unsent, in a `struct revhold`, serves
 * other connections, and sends it when its time comes.  The command line,
 * which has no answer to hold, waits instead (revhold_wait).
 */
#ifndef KEYFIN_REVHOLD_H
#define KEYFIN_REVHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

#include "keyfin/conns.h"
#include "keyfin/http.h"
#include "keyfin/store.h"

#define REVHOLD_MAX 32

/* Requests (their connections in `conns`) whose answers wait; due_us 0
 * marks a free slot. */
struct revhold {
	struct conns *conns;
	FCGX_Request *fr[REVHOLD_MAX];
	int64_t due_us[REVHOLD_MAX];
	char *answer[REVHOLD_MAX];
	size_t answer_len[REVHOLD_MAX];
	int count;
};

/* In the route: a request that may revoke keeps its answer in memory. */
void revhold_begin(struct req *r);
/* ... and after its handler: hold it for the window unless nothing changed
 * (a 4xx); a 5xx is held too (it may come after a commit). */
void revhold_end(struct req *r, struct store *s);
/* The window to hold a revocation for, read now (after its commit);
 * CONFIG_AUTH_CACHE_MS_MAX when it cannot be read. */
int revhold_window(struct store *s);

/* Nothing held; a request whose answer is sent goes back to `conns`. */
void revhold_init(struct revhold *h, struct conns *conns);
/* Keep `fr`'s answer (taken over) until `hold_ms` from now; when every
 * slot is in use, wait for the first to be due. */
void revhold_keep(struct revhold *h, FCGX_Request *fr, int hold_ms, char *answer, size_t len);
/* Send what is due, after waiting for the first to be due if `wait`;
 * returns the milliseconds until the next is due, -1 when none is held. */
int revhold_send_due(struct revhold *h, bool wait);

/* After a revocation committed outside a worker (`keyfin key revoke`):
 * wait `ms` (revhold_window). */
void revhold_wait(int ms);

#endif
