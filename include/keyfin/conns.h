/*
 * conns: the FastCGI connections one worker holds.
 *
 * nginx keeps its connections to the workers open between requests
 * (`fastcgi_keep_conn on` and an upstream `keepalive` pool, see
 * nginx/keyfin.conf.in), so a request costs no connect, accept and close.
 * A worker then holds several connections at once: the one whose request
 * it serves, those whose answers are held back (src/revhold.h), and idle
 * ones on which nginx may send its next request at any time.
 *
 * Every idle connection and the listening socket are in one epoll set, so
 * the worker wakes for whichever brings a request first and reads only a
 * connection that has one: an idle connection never blocks it (stock
 * libfcgi reads the kept connection and waits there, while requests queue
 * elsewhere).  libfcgi still does the record layer: each connection has an
 * FCGX_Request of its own, handed its descriptor.
 *
 * Connections nginx does not keep (a configuration without keep_conn)
 * work as before: one request, then closed.
 */
#ifndef KEYFIN_CONNS_H
#define KEYFIN_CONNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

/* Connections one worker holds at most; when all are taken and another
 * comes, the one idle the longest is closed (nginx opens a new one). */
#define CONNS_MAX 128

/* Why conns_next() returned no request. */
enum conns_none {
	CONNS_FAILED = -1,      /* an error that will not go away (errno set) */
	CONNS_STOPPED = -2,     /* stopping, and nothing is left to serve */
	CONNS_TIMEOUT = -3,     /* `timeout_ms` passed without a request */
};

struct conns {
	int epfd;
	int listen_fd;
	bool tcp;                       /* the listening socket is TCP */
	FCGX_Request fr[CONNS_MAX];
	uint8_t state[CONNS_MAX];       /* enum in conns.c */
	uint8_t in_epoll[CONNS_MAX];    /* registered since its last accept */
	int64_t idle_since[CONNS_MAX];
	int ready[CONNS_MAX];           /* idle ones epoll said have input */
	int nready;
	int64_t drain_until;            /* when stopping: ms on monotime */
};

/* 0, or -1 (errno set) if the epoll set cannot be made. */
int conns_init(struct conns *c, int listen_fd);

/*
 * The next request, read by libfcgi, from a kept connection or a new one;
 * waits for one while `stop` is zero, at most `timeout_ms` (-1: no limit).
 * Once `stop` is set, what has already come is served, for half a second
 * at most, then CONNS_STOPPED.  NULL with *none set when there is none.
 */
FCGX_Request *conns_next(struct conns *c, volatile int *stop, int timeout_ms,
			 enum conns_none *none);

/* Write the request's answer (kept by http_defer; taken over, NULL for
 * one already written), end the request (http_finish), and keep its
 * connection waiting for the next, or free its slot if it was closed. */
void conns_answer(struct conns *c, FCGX_Request *fr, char *answer, size_t len);

/* Leaving: closes every connection and the epoll set. */
void conns_close(struct conns *c);

#endif
