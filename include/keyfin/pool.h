/*
 * pool: the prefork supervisor of `keyfin serve`.  Opens the FastCGI
 * socket, forks `workers` processes that all accept on it, restarts one
 * that dies (at most one restart a second, so a crash loop cannot spin),
 * and on SIGTERM or SIGINT stops accepting, lets every worker finish the
 * request in hand, and returns once they are gone.
 */
#ifndef KEYFIN_POOL_H
#define KEYFIN_POOL_H

#include "keyfin/config.h"

/* Runs in each worker; returns the worker's exit status.  `stop` turns
 * non-zero when the worker is asked to stop. */
typedef int pool_worker_fn(int listen_fd, volatile int *stop, void *ctx);

/* Runs in the supervisor on SIGHUP; 0 means "replace the workers": each
 * finishes the request in hand and is started afresh at once (the socket
 * keeps queueing connections meanwhile, so none is refused). */
typedef int pool_reload_fn(void *ctx);

/* Returns 0 after a clean stop, -1 (logged) if the socket cannot be opened. */
int pool_run(const struct config *cfg, pool_worker_fn *worker, pool_reload_fn *reload,
	     void *ctx);

#endif
