/*
 * store_conn: the connection under `store`, with a deadline on everything
 * that waits for PostgreSQL (private to the store files: it includes libpq).
 *
 * libpq is used only through its non-blocking calls and poll(), so that a
 * server that stops answering (a partition, a frozen host, a dead machine
 * whose packets are dropped) costs at most KEYFIN_DB_TIMEOUT:
 *
 *   - connecting: PQconnectStartParams + PQconnectPoll, one host of a
 *     multi-host URL at a time, each within the timeout;
 *   - a round trip: PQsend* + PQflush/PQconsumeInput/PQisBusy, within what
 *     is left of the budget.  On timeout the connection is dropped (not
 *     cancelled: a cancel request is one more connection to a host that
 *     does not answer).
 *
 * While PostgreSQL is away a new connection is tried at most every 250 ms
 * (1 s after a host that did not answer at all); requests in between get
 * STORE_UNAVAILABLE at once.
 *
 * The budget: in a worker, store_conn_begin() at the start of a request
 * gives it KEYFIN_DB_TIMEOUT of waiting in all (connecting included);
 * without it (the command line) each round trip gets the timeout afresh.
 */
#ifndef KEYFIN_STORE_CONN_H
#define KEYFIN_STORE_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "keyfin/store.h"

#define STORE_CONN_HOSTS_MAX 16

struct store_conn {
	PGconn *pg;                     /* NULL: not connected */
	int timeout_ms;
	/* the URL, parsed once; hosts tried in turn */
	PQconninfoOption *opts;
	char *host_list, *addr_list, *port_list;        /* copies, cut at ',' */
	const char *host[STORE_CONN_HOSTS_MAX], *addr[STORE_CONN_HOSTS_MAX],
		   *port[STORE_CONN_HOSTS_MAX];
	int hosts;                      /* at least 1 (libpq's defaults) */
	int host_first;                 /* where the next attempt starts */
	int host_now;                   /* the host of `pg` */
	int host_timeout_ms;            /* the timeout, or the URL's connect_timeout if lower */
	/* waiting */
	bool per_request;               /* store_conn_begin() was called */
	int64_t spent_us;               /* waited in this request */
	int64_t trip_deadline_us;       /* monotonic, of the round trip under way */
	/* state, for logs and metrics */
	int64_t last_attempt_ms;        /* monotonic; 0: try at once */
	int retry_ms;                   /* ... else this long after it */
	bool down_logged;
	bool had_connection;
	uint64_t connects;              /* connections made: a change may mean another server */
};

/* Parse `url` (a libpq URL or key=value string, multi-host allowed).
 * Returns 0, or -1 with a sentence in `err`. */
int store_conn_init(struct store_conn *c, const char *url, int timeout_ms,
		    char *err, size_t err_len);
void store_conn_close(struct store_conn *c);

/* A new request: its waiting starts from nothing. */
void store_conn_begin(struct store_conn *c);

/* Connected, or connect now (at most once every 250 ms while PostgreSQL is
 * away): STORE_OK or STORE_UNAVAILABLE. */
enum store_status store_conn_ready(struct store_conn *c);

/* Drop the connection.  `soon`: the next attempt may come at once (the
 * connection was found dead, the server may well be back); else after
 * 250 ms (the server did not answer). */
void store_conn_drop(struct store_conn *c, bool soon);

/* A round trip starts: its deadline is what is left of the budget.
 * false: nothing is left (the request answers 503; the connection stays). */
bool store_conn_trip(struct store_conn *c);

/* The next page of a long answer: a server that keeps sending is not one
 * that stopped answering, so the request's budget starts again. */
void store_conn_more(struct store_conn *c);

/* After a PQsend*(): the result of what was sent (the caller PQclear()s
 * it), by the round trip's deadline.  NULL: no result came; the connection
 * is dropped and *st is STORE_UNAVAILABLE (timed out or lost). */
PGresult *store_conn_result(struct store_conn *c, enum store_status *st);

/* "host:port" of the connection (or the last one), for log lines. */
const char *store_conn_where(const struct store_conn *c, char *buf, size_t len);

#endif
