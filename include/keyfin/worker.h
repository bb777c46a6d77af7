/*
 * worker: the life of one worker process of `keyfin serve`: its own
 * database connection, then connection after connection from the pool's
 * socket, each request routed, answered (or held back: src/revhold.c) and
 * logged, until the pool asks it to stop.
 */
#ifndef KEYFIN_WORKER_H
#define KEYFIN_WORKER_H

#include "keyfin/app.h"

/* pool_worker_fn: `ctx` is the struct app, filled by main. */
int worker_main(int listen_fd, volatile int *stop, void *ctx);

/* pool_reload_fn (SIGHUP, in the supervisor): read the server secret(s)
 * again into the struct app `ctx`; a bad file keeps the old ones. */
int worker_reload(void *ctx);

#endif
