#include "store_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/monotime.h"

/* Between two connection attempts while PostgreSQL is away: 250 ms after a
 * refusal; 500 ms after a host that did not answer at all, so that a worker
 * does not spend most of its time waiting on a partition (and is back well
 * within 2 s of the partition healing). */
#define RETRY_MS 250
#define RETRY_SILENT_MS 500

static void notice_quiet(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;      /* NOTICEs (e.g. "relation already exists") are not news */
}

/* Cut a copy of `list` at its commas into out[]; returns how many. */
static int split_list(const char *list, char **copy, const char **out)
{
	int n = 0;
	char *p;

	*copy = NULL;
	if (list == NULL || list[0] == '\0')
		return 0;
	*copy = strdup(list);
	if (*copy == NULL)
		return -1;
	for (p = *copy; n < STORE_CONN_HOSTS_MAX; n++) {
		char *comma = strchr(p, ',');

		out[n] = p;
		if (comma == NULL)
			return n + 1;
		*comma = '\0';
		p = comma + 1;
	}
	return -1;
}

static const char *opt_value(const PQconninfoOption *opts, const char *name)
{
	for (; opts->keyword != NULL; opts++)
		if (strcmp(opts->keyword, name) == 0)
			return opts->val;
	return NULL;
}

int store_conn_init(struct store_conn *c, const char *url, int timeout_ms,
		    char *err, size_t err_len)
{
	char *perr = NULL;
	const char *ct;
	int hosts, addrs, ports;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = timeout_ms;
	c->host_timeout_ms = timeout_ms;
	c->opts = PQconninfoParse(url, &perr);
	if (c->opts == NULL) {
		/* libpq's message names the part it could not read, never a value */
		snprintf(err, err_len, "KEYFIN_DATABASE_URL: %s", perr ? perr : "out of memory");
		PQfreemem(perr);
		return -1;
	}
	hosts = split_list(opt_value(c->opts, "host"), &c->host_list, c->host);
	addrs = split_list(opt_value(c->opts, "hostaddr"), &c->addr_list, c->addr);
	ports = split_list(opt_value(c->opts, "port"), &c->port_list, c->port);
	c->hosts = hosts > addrs ? hosts : addrs;
	if (hosts < 0 || addrs < 0 || ports < 0 || (hosts > 0 && addrs > 0 && hosts != addrs) ||
	    (ports > 1 && ports != c->hosts)) {
		snprintf(err, err_len, "KEYFIN_DATABASE_URL: at most %d hosts, with one port "
			 "or one port a host", STORE_CONN_HOSTS_MAX);
		store_conn_close(c);
		return -1;
	}
	if (c->hosts == 0)
		c->hosts = 1;   /* libpq's default (PGHOST, the socket) */
	ct = opt_value(c->opts, "connect_timeout");
	if (ct != NULL && atoi(ct) > 0 && atoi(ct) * 1000 < timeout_ms)
		c->host_timeout_ms = atoi(ct) * 1000;
	return 0;
}

void store_conn_close(struct store_conn *c)
{
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	PQconninfoFree(c->opts);
	c->opts = NULL;
	free(c->host_list);
	free(c->addr_list);
	free(c->port_list);
	c->host_list = c->addr_list = c->port_list = NULL;
}

void store_conn_begin(struct store_conn *c)
{
	c->per_request = true;
	c->spent_us = 0;
}

/* Microseconds of waiting left to the current request (or round trip). */
static int64_t budget_left_us(const struct store_conn *c)
{
	int64_t left = (int64_t)c->timeout_ms * 1000;

	return c->per_request ? left - c->spent_us : left;
}

static void spent(struct store_conn *c, int64_t since_us)
{
	c->spent_us += monotime_us() - since_us;
}

/* Wait for `events` on `fd` until `deadline_us`: 1 ready, 0 time is up,
 * -1 an error of poll itself. */
static int wait_fd(int fd, short events, int64_t deadline_us)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline_us - monotime_us();
		int n;

		if (fd < 0)
			return -1;
		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)((left + 999) / 1000));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

const char *store_conn_where(const struct store_conn *c, char *buf, size_t len)
{
	int i = c->host_now;
	const char *host = i < c->hosts && c->host[i] ? c->host[i]
			   : i < c->hosts && c->addr[i] ? c->addr[i] : "(default)";
	const char *port = c->port[0] == NULL ? "(default)" : c->port[c->port[1] ? i : 0];

	snprintf(buf, len, "%s:%s", host, port);
	return buf;
}

/* The connection options for host `i`: the URL's, that host's, and
 * keyfin's defaults where the URL says nothing. */
static PGconn *start_host(struct store_conn *c, int i)
{
	static const char *const defaults[][2] = {
		{ "application_name", "keyfin" },
		/* keyfin writes (last activity, keys) and must read the current
		 * revocations: a primary, never a standby */
		{ "target_session_attrs", "read-write" },
		/* the kernel gives up on a peer that stops acknowledging (and
		 * finds a silent idle one) in seconds, not in 15 minutes */
		{ "keepalives_idle", "10" },
		{ "keepalives_interval", "5" },
		{ "keepalives_count", "3" },
	};
	const char *keys[64], *values[64];
	char user_timeout[16];
	int n = 0;

	for (const PQconninfoOption *o = c->opts; o->keyword != NULL && n < 48; o++) {
		if (o->val == NULL || strcmp(o->keyword, "host") == 0 ||
		    strcmp(o->keyword, "hostaddr") == 0 || strcmp(o->keyword, "port") == 0)
			continue;
		keys[n] = o->keyword;
		values[n++] = o->val;
	}
	for (size_t d = 0; d < sizeof(defaults) / sizeof(defaults[0]); d++) {
		if (opt_value(c->opts, defaults[d][0]) != NULL)
			continue;
		keys[n] = defaults[d][0];
		values[n++] = defaults[d][1];
	}
	if (opt_value(c->opts, "tcp_user_timeout") == NULL) {
		snprintf(user_timeout, sizeof(user_timeout), "%d", c->timeout_ms);
		keys[n] = "tcp_user_timeout";
		values[n++] = user_timeout;
	}
	if (i < c->hosts && c->host[i] != NULL && c->host[i][0] != '\0') {
		keys[n] = "host";
		values[n++] = c->host[i];
	}
	if (i < c->hosts && c->addr[i] != NULL && c->addr[i][0] != '\0') {
		keys[n] = "hostaddr";
		values[n++] = c->addr[i];
	}
	if (c->port[0] != NULL) {
		keys[n] = "port";
		values[n++] = c->port[c->port[1] ? i : 0];
	}
	keys[n] = values[n] = NULL;
	return PQconnectStartParams(keys, values, 0);
}

/* Connect to host `i` by `deadline_us`.  NULL on failure, with a reason
 * in `why` (libpq's words, or that time ran out: *timed_out). */
static PGconn *connect_host(struct store_conn *c, int i, int64_t deadline_us,
			    char *why, size_t why_len, bool *timed_out)
{
	PGconn *pg = start_host(c, i);
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;

	*timed_out = false;
	if (pg == NULL) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	while (PQstatus(pg) != CONNECTION_BAD && ps != PGRES_POLLING_OK) {
		int w = wait_fd(PQsocket(pg), ps == PGRES_POLLING_READING ? POLLIN : POLLOUT,
				deadline_us);

		if (w == 0) {
			*timed_out = true;
			snprintf(why, why_len, "no answer within %d ms", c->host_timeout_ms);
			PQfinish(pg);
			return NULL;
		}
		if (w < 0)
			break;
		ps = PQconnectPoll(pg);
		if (ps == PGRES_POLLING_FAILED)
			break;
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		const char *m = PQerrorMessage(pg);
		size_t len = strlen(m);

		while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == ' '))
			len--;
		snprintf(why, why_len, "%.*s", (int)len, m);
		PQfinish(pg);
		return NULL;
	}
	if (PQsetnonblocking(pg, 1) != 0) {
		snprintf(why, why_len, "cannot make the connection non-blocking");
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeReceiver(pg, notice_quiet, NULL);
	return pg;
}

enum store_status store_conn_ready(struct store_conn *c)
{
	char why[512] = "", where[160];
	int64_t now = monotime_ms();
	int k, i = c->host_first;
	bool moved;

	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
		return STORE_OK;
	/* While the database is away, try at most every RETRY_MS: requests in
	 * between get their 503 at once instead of each waiting.  A request
	 * that has used its time up gets its 503 without an attempt. */
	if ((c->last_attempt_ms != 0 && now - c->last_attempt_ms < c->retry_ms) ||
	    budget_left_us(c) <= 0)
		return STORE_UNAVAILABLE;
	store_conn_drop(c, true);
	for (k = 0; k < c->hosts; k++) {
		int64_t started = monotime_us(), left = budget_left_us(c);
		int64_t limit = (int64_t)c->host_timeout_ms * 1000;
		bool timed_out;

		c->retry_ms = RETRY_MS;
		i = (c->host_first + k) % c->hosts;
		if (left <= 0)
			break;  /* the host before used the time up */
		c->pg = connect_host(c, i, started + (left < limit ? left : limit),
				     why, sizeof(why), &timed_out);
		spent(c, started);
		if (c->pg != NULL)
			break;
		if (timed_out) {
			metrics_db_timeout();
			c->retry_ms = RETRY_SILENT_MS;
		}
	}
	c->last_attempt_ms = monotime_ms();
	if (c->pg == NULL) {
		/* begin after the host that used the time up, if one did */
		if (k < c->hosts)
			c->host_first = (i + 1) % c->hosts;
		c->host_now = i;
		if (!c->down_logged)
			log_msg(LOG_ERROR, "db_down", "cannot connect to PostgreSQL (last tried %s): %s",
				store_conn_where(c, where, sizeof(where)), why);
		c->down_logged = true;
		return STORE_UNAVAILABLE;
	}
	if (c->had_connection || c->down_logged)
		metrics_db_reconnect();
	moved = c->had_connection && i != c->host_now;
	c->host_now = c->host_first = i;
	if (c->down_logged || moved)
		log_msg(LOG_INFO, "db_up", "connected to PostgreSQL at %s",
			store_conn_where(c, where, sizeof(where)));
	c->had_connection = true;
	c->down_logged = false;
	c->connects++;
	return STORE_OK;
}

void store_conn_drop(struct store_conn *c, bool soon)
{
	if (c->pg != NULL)
		PQfinish(c->pg);        /* non-blocking: never waits on the peer */
	c->pg = NULL;
	c->last_attempt_ms = soon ? 0 : monotime_ms();
	c->retry_ms = RETRY_MS;
}

bool store_conn_trip(struct store_conn *c)
{
	int64_t left = budget_left_us(c);

	c->trip_deadline_us = monotime_us() + left;
	return left > 0;
}

void store_conn_more(struct store_conn *c)
{
	c->spent_us = 0;
}

/* Give up on the round trip: the server did not answer in time.  The
 * connection is reset, not closed: whatever of the query the kernel still
 * holds is thrown away, so that it cannot reach the server after the
 * request was answered 503 (when a partition heals). */
static PGresult *timed_out(struct store_conn *c, int64_t started, PGresult *partial)
{
	struct linger reset = { 1, 0 };
	char where[160];

	if (PQsocket(c->pg) >= 0)
		(void)setsockopt(PQsocket(c->pg), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	PQclear(partial);
	spent(c, started);
	metrics_db_timeout();
	log_msg(LOG_WARN, "db_timeout", "no answer from PostgreSQL at %s within %d ms; "
		"connection dropped", store_conn_where(c, where, sizeof(where)), c->timeout_ms);
	store_conn_drop(c, false);
	c->retry_ms = RETRY_SILENT_MS;
	return NULL;
}

PGresult *store_conn_result(struct store_conn *c, enum store_status *st)
{
	int64_t started = monotime_us();
	PGresult *res = NULL, *next;
	int flushed;

	*st = STORE_UNAVAILABLE;
	/* the query out, reading meanwhile so that the server never blocks */
	while ((flushed = PQflush(c->pg)) == 1) {
		int w = wait_fd(PQsocket(c->pg), POLLIN | POLLOUT, c->trip_deadline_us);

		if (w == 0)
			return timed_out(c, started, NULL);
		if (w < 0 || !PQconsumeInput(c->pg))
			break;
	}
	if (flushed != 0 || PQstatus(c->pg) != CONNECTION_OK)
		goto lost;
	/* every result up to the end of the query: the first one, or an
	 * error that came after it */
	for (;;) {
		while (PQisBusy(c->pg)) {
			int w = wait_fd(PQsocket(c->pg), POLLIN, c->trip_deadline_us);

			if (w == 0)
				return timed_out(c, started, res);
			if (w < 0 || !PQconsumeInput(c->pg)) {
				PQclear(res);
				goto lost;
			}
		}
		next = PQgetResult(c->pg);
		if (next == NULL)
			break;
		if (res == NULL || PQresultStatus(next) == PGRES_FATAL_ERROR) {
			PQclear(res);
			res = next;
		} else {
			PQclear(next);
		}
	}
	if (res != NULL) {
		spent(c, started);
		*st = STORE_OK;
		return res;
	}
lost:
	spent(c, started);
	store_conn_drop(c, true);
	return NULL;
}
