/*
 * metrics: counters shared by every process of the pool, in one anonymous
 * MAP_SHARED mapping made before the workers are forked, so that whichever
 * worker answers GET /metrics reports the whole instance.  Updates are
 * relaxed atomic adds: no lock on the request path.  Rendered in
 * Prometheus' text format (version 0.0.4).
 */
#ifndef KEYFIN_METRICS_H
#define KEYFIN_METRICS_H

#include <stddef.h>

/* Map the counters; `routes` names the route table's entries (the labels).
 * Returns 0 or -1.  Without it every other call does nothing. */
int metrics_init(const char *const *routes, size_t count);

/* One answered request: `route` is an index into the names given to
 * metrics_init(), or -1 for a path no route matched. */
void metrics_request(int route, int status, double seconds);
void metrics_auth_failure(int status);          /* 401 or 403 */
void metrics_auth_remembered(void);
void metrics_login_failure(void);
void metrics_db_error(void);
void metrics_db_reconnect(void);
void metrics_db_timeout(void);
void metrics_auth_throttled(void);
void metrics_auth_known_bad(void);
void metrics_workers(int alive);                /* supervisor */
void metrics_worker_restart(void);              /* supervisor */

/* The text of every metric; the caller free()s it.  NULL when out of memory. */
char *metrics_render(size_t *len);

#endif
