#include "keyfin/worker.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "keyfin/auth.h"
#include "keyfin/conns.h"
#include "keyfin/http.h"
#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/monotime.h"
#include "keyfin/revhold.h"
#include "keyfin/route.h"
#include "keyfin/store.h"
#include "keyfin/usage.h"

#define SWEEP_INTERVAL 600     /* seconds between two sweeps (see sweep) */

/* Every SWEEP_INTERVAL: the key list's version rows of connections that
 * are gone folded into one, and (KEYFIN_REVOKE_UNUSED_DAYS) keys unused
 * that long revoked. */
static void sweep(struct app *app)
{
	static time_t last;
	time_t now = time(NULL);
	int64_t folded = 0;
	int revoked = 0;

	if (last != 0 && now - last < SWEEP_INTERVAL)
		return;
	last = now;
	if (store_key_list_fold(app->store, &folded) == STORE_OK && folded > 0)
		log_msg(LOG_DEBUG, "sweep", "%lld key list version row(s) folded",
			(long long)folded);
	if (app->cfg->revoke_unused_days != 0 &&
	    store_key_sweep(app->store, app->cfg->revoke_unused_days, &revoked) == STORE_OK &&
	    revoked > 0)
		log_msg(LOG_INFO, "key_revoked", "%d key(s) unused for %d days revoked", revoked,
			app->cfg->revoke_unused_days);
}

/* One request, from accept to log line.  Returns how many milliseconds
 * its answer must be held back (src/revhold.h); such an answer is not
 * written but handed over in *answer (NULL for the others). */
static int serve_request(struct app *app, FCGX_Request *fr, char **answer,
			 size_t *answer_len)
{
	static struct caller caller;    /* 20 KiB: not on the stack */
	const char *route = "invalid";
	int route_index = -1;
	struct log_line line;
	struct timespec done;
	double ms;
	struct req r;

	switch (http_req_init(&r, fr)) {
	case URI_OK:
		route_dispatch(app, &r, &caller, &route, &route_index);
		break;
	case URI_BAD:
		http_respond_text(&r, 400, "The request path is not valid.");
		break;
	case URI_TOO_LONG:
		http_respond_empty(&r, 414);
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &done);
	ms = (double)(done.tv_sec - r.started.tv_sec) * 1e3 +
	     (double)(done.tv_nsec - r.started.tv_nsec) / 1e6;
	metrics_request(route_index, r.status, ms / 1e3);
	log_begin(&line, LOG_INFO, "request");
	log_str(&line, "rid", r.request_id);
	log_str(&line, "method", r.method);
	log_str(&line, "route", route);
	log_int(&line, "status", r.status);
	log_ms(&line, "ms", ms);
	log_str(&line, "remote", r.remote_addr);
	if (caller.resolved)
		log_str(&line, "auth", caller.who.kind == STORE_PRINCIPAL_KEY ? "key" : "session");
	log_end(&line);
	caller.resolved = false;
	*answer = http_take_deferred(&r, answer_len);
	http_req_release(&r);
	return r.hold_ms;
}

int worker_main(int listen_fd, volatile int *stop, void *ctx)
{
	static struct conns conns;      /* 128 FastCGI requests: not on the stack */
	static struct revhold held;
	struct app *app = ctx;
	enum conns_none none = CONNS_STOPPED;
	char err[256];

	/* each worker has a connection of its own, made after the fork */
	app->store = store_new(app->cfg->database_url, app->cfg->db_prepared,
			       app->cfg->db_timeout, err, sizeof(err));
	if (app->store == NULL) {
		log_msg(LOG_ERROR, "config", "%s", err);
		return 1;
	}
	authcache_init(&app->authcache, app->cfg->auth_cache_ms);
	authcache_init(&app->front_unknown, app->cfg->auth_cache_ms);
	authcache_init(&app->front_gone, app->cfg->auth_cache_ms);
	usage_init(&app->usage, monotime_ms());
	if (conns_init(&conns, listen_fd) != 0) {
		log_msg(LOG_ERROR, "conns", "cannot wait for connections: %s", strerror(errno));
		return 1;
	}
	revhold_init(&held, &conns);
	log_set_buffered(1);            /* flushed whenever the worker waits */
	/* connect early; a database that is down is fine (the requests say 503) */
	if (store_ready(app->store) != STORE_OK)
		log_msg(LOG_DEBUG, "db_down", "no database yet at start");
	for (;;) {
		FCGX_Request *fr;
		char *answer;
		size_t answer_len;
		int hold_ms;

		store_begin(app->store);
		sweep(app);
		usage_write(&app->usage, app->store, app->cfg->usage_interval, false, monotime_ms());
		fr = conns_next(&conns, stop, usage_wait_ms(&app->usage, app->cfg->usage_interval,
							    revhold_send_due(&held, false), monotime_ms()),
				&none);
		if (fr == NULL && none == CONNS_TIMEOUT)
			continue;       /* an answer held back is due */
		if (fr == NULL) {
			if (none == CONNS_FAILED)
				log_msg(LOG_ERROR, "accept", "accept failed: %s", strerror(errno));
			break;
		}
		store_begin(app->store);
		hold_ms = serve_request(app, fr, &answer, &answer_len);
		if (hold_ms > 0) {
			revhold_keep(&held, fr, hold_ms, answer, answer_len);
			continue;
		}
		conns_answer(&conns, fr, answer, answer_len);
	}
	/* what is held goes out in its time, also when leaving on an error */
	while (held.count > 0)
		revhold_send_due(&held, true);
	conns_close(&conns);
	store_begin(app->store);
	usage_write(&app->usage, app->store, app->cfg->usage_interval, true, monotime_ms());
	authcache_release(&app->authcache);
	authcache_release(&app->front_unknown);
	authcache_release(&app->front_gone);
	store_free(app->store);
	return none == CONNS_STOPPED ? 0 : 1;
}

int worker_reload(void *ctx)
{
	struct app *app = ctx;
	struct token_keys fresh;
	char err[256];

	if (token_keys_load(&fresh, app->cfg->secret_file, app->cfg->secret, err,
			    sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "reload", "keeping the old secret: %s", err);
		return -1;
	}
	/* front mode: a new upstream key (made in Jellyfin) without a restart */
	if (front_upstream_reload(&app->upstream, app->cfg->upstream_key_file, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "reload", "keeping the old secret and upstream key: %s", err);
		sodium_memzero(&fresh, sizeof(fresh));
		return -1;
	}
	app->secrets = fresh;
	sodium_memzero(&fresh, sizeof(fresh));
	log_msg(LOG_INFO, "reload", "server secret read again: %d in force", app->secrets.count);
	return 0;
}
