/*
 * route: the table of endpoints (method, path pattern, who may call) and
 * the dispatcher that turns one request into one handler call.  Paths match
 * case-insensitively, one segment at a time; `*` takes any one segment and
 * hands it to the handler as `arg`.
 */
#ifndef KEYFIN_ROUTE_H
#define KEYFIN_ROUTE_H

#include <stddef.h>

#include "keyfin/app.h"
#include "keyfin/auth.h"
#include "keyfin/http.h"

typedef void handler_fn(struct app *app, struct req *r, struct caller *c,
			const char *arg);

/* Answer one request, whatever it is.  `route_name` gets the matched
 * pattern (for the log: never the raw path, which may hold a key) and
 * `route_index` its place in the table (-1: none matched). */
void route_dispatch(struct app *app, struct req *r, struct caller *c,
		    const char **route_name, int *route_index);

/* "METHOD /Pattern" of every route, in table order: the metrics' labels. */
const char *const *route_labels(size_t *count);

#endif
