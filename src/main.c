/*
 * keyfin: a Jellyfin-compatible API-key service.  This file parses the
 * command line, runs the sub-commands, and is the only place that exits.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "keyfin/account.h"
#include "keyfin/apikey.h"
#include "keyfin/app.h"
#include "keyfin/audit.h"
#include "keyfin/auth.h"
#include "keyfin/config.h"
#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/monotime.h"
#include "keyfin/pool.h"
#include "keyfin/render.h"
#include "keyfin/route.h"
#include "keyfin/store.h"
#include "keyfin/token.h"

#define KEYFIN_VERSION "0.1.0"

static const char usage[] =
	"usage: keyfin COMMAND [ARGS]\n"
	"\n"
	"A Jellyfin-compatible API-key service: nginx hands the Jellyfin API to\n"
	"`keyfin serve`, which keeps keys, users and sessions in PostgreSQL.\n"
	"\n"
	"Commands:\n"
	"  serve                      run the FastCGI worker pool (foreground)\n"
	"  migrate                    apply pending database migrations\n"
	"  key create APP             create an API key for APP and print it once\n"
	"  key list                   list keys: key, app, created, last activity\n"
	"  key revoke KEY             revoke a key\n"
	"  user add NAME [--admin] [--if-missing]\n"
	"                             create a user; the password is read from\n"
	"                             KEYFIN_USER_PASSWORD or the first line of stdin\n"
	"  user unlock NAME           lift a lockout after failed logins\n"
	"  audit [LIMIT]              the newest LIMIT (default 50) audit records\n"
	"  secret generate            print a new random server secret\n"
	"  secret rotate              re-seal every stored key under the current (first)\n"
	"                             secret; see README, \"Changing the server secret\"\n"
	"  help, --help               this text\n"
	"  version, --version         the version\n"
	"\n"
	"Exit status: 0 done, 1 failed, 2 usage error.\n\n";

static struct config cfg;
static struct token_keys keys;

/* How the audit trail names what the command line does. */
static const struct store_actor cli_actor = { "command line", NULL, "local", "keyfin" };

static int load_config(void)
{
	char err[256];

	if (config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "keyfin: %s\n", err);
		return -1;
	}
	log_set_level(cfg.log_level);
	return 0;
}

static int load_keys(void)
{
	char err[256];

	if (token_keys_load(&keys, cfg.secret_file, cfg.secret, err, sizeof(err)) != 0) {
		fprintf(stderr, "keyfin: %s\n", err);
		return -1;
	}
	sodium_mlock(&keys, sizeof(keys));
	return 0;
}

static struct store *open_store(void)
{
	char err[256];
	struct store *s = store_new(cfg.database_url, cfg.db_prepared, cfg.db_timeout,
				    err, sizeof(err));
	enum store_status st;

	if (s == NULL) {
		fprintf(stderr, "keyfin: %s\n", err);
		return NULL;
	}
	st = store_ready(s);
	if (st != STORE_OK) {
		fprintf(stderr, "keyfin: cannot use the database (%s)\n",
			st == STORE_UNAVAILABLE ? "unreachable" : "error; see above");
		store_free(s);
		return NULL;
	}
	return s;
}

static int run_migrate(struct store *s)
{
	int applied;

	if (store_migrate(s, &applied) != STORE_OK) {
		fprintf(stderr, "keyfin: migration failed (see the log line above)\n");
		return -1;
	}
	log_msg(LOG_INFO, "migrate", "%d migration(s) applied; schema is current", applied);
	return 0;
}

#define SWEEP_INTERVAL 600     /* seconds between two sweeps of unused keys */

/* KEYFIN_REVOKE_UNUSED_DAYS: now and then, revoke keys unused that long. */
static void sweep_unused(struct app *app)
{
	static time_t last;
	time_t now = time(NULL);
	int revoked = 0;

	if (cfg.revoke_unused_days == 0 || (last != 0 && now - last < SWEEP_INTERVAL))
		return;
	last = now;
	if (store_key_sweep(app->store, cfg.revoke_unused_days, &revoked) == STORE_OK && revoked > 0)
		log_msg(LOG_INFO, "key_revoked", "%d key(s) unused for %d days revoked", revoked,
			cfg.revoke_unused_days);
}

/* One request, from accept to log line.  Returns how many milliseconds
 * its answer must be held back (a revocation: see struct held); such an
 * answer is not written but handed over in *answer (NULL for the others). */
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

/*
 * End a request without libfcgi's lingering close (shut down the write
 * side, then wait for nginx to close first): read what is left of the
 * request so that closing sends no reset, then close at once.  That wait
 * was a fifth of a worker's time in the profile (docs/performance.md).
 */
static void finish_request(FCGX_Request *fr)
{
	char rest[4096];

	while (FCGX_GetStr(rest, sizeof(rest), fr->in) > 0)
		;
	fr->detached = 1;
	FCGX_Finish_r(fr);
	fr->detached = 0;
}

/*
 * A revoking request answers only once no worker can still accept what it
 * revoked (KEYFIN_AUTH_CACHE_MS after its commit, src/auth.c).  A worker
 * does not sleep meanwhile: it keeps the finished answer back, unsent, and
 * serves other connections; finish_due() sends it when its time comes.
 * Slot 0.. of `held` are FastCGI requests; due_us 0 marks a free one.
 */
#define HELD_MAX 32

struct held {
	FCGX_Request fr[HELD_MAX + 1];
	int64_t due_us[HELD_MAX + 1];
	char *answer[HELD_MAX + 1];     /* written when due (http_defer) */
	size_t answer_len[HELD_MAX + 1];
	int count;
};

/* Send what is due, after waiting for the first to be due if `wait`;
 * returns the milliseconds until the next answer is due, -1 when none is
 * held. */
static int finish_due(struct held *h, bool wait)
{
	int64_t next = 0, now = monotime_us();

	for (int i = 0; wait && i <= HELD_MAX; i++)
		if (h->due_us[i] != 0 && (next == 0 || h->due_us[i] < next))
			next = h->due_us[i];
	if (next > now) {
		struct timespec ts = { (next - now) / 1000000, (next - now) % 1000000 * 1000 };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		now = monotime_us();
	}
	next = 0;
	for (int i = 0; i <= HELD_MAX && h->count > 0; i++) {
		if (h->due_us[i] == 0)
			continue;
		if (h->due_us[i] <= now) {
			http_write_deferred(&h->fr[i], h->answer[i], h->answer_len[i]);
			h->answer[i] = NULL;
			finish_request(&h->fr[i]);
			h->due_us[i] = 0;
			h->count--;
		} else if (next == 0 || h->due_us[i] < next) {
			next = h->due_us[i];
		}
	}
	return next == 0 ? -1 : (int)((next - now + 999) / 1000);
}

static int worker_main(int listen_fd, volatile int *stop, void *ctx)
{
	static struct held held;
	struct app *app = ctx;
	int fd = -2;

	/* each worker has a connection of its own, made after the fork */
	char err[256];

	app->store = store_new(cfg.database_url, cfg.db_prepared, cfg.db_timeout,
			       err, sizeof(err));
	if (app->store == NULL) {
		log_msg(LOG_ERROR, "config", "%s", err);
		return 1;
	}
	for (int i = 0; i <= HELD_MAX; i++)
		if (FCGX_InitRequest(&held.fr[i], listen_fd, 0) != 0)
			return 1;
	log_set_buffered(1);            /* flushed whenever the worker waits */
	(void)store_ready(app->store);  /* early, but a database that is down is fine */
	for (;;) {
		FCGX_Request *fr = NULL;
		char *answer;
		size_t answer_len;
		int hold_ms, slot;

		store_begin(app->store);
		sweep_unused(app);
		fd = pool_accept(listen_fd, stop, finish_due(&held, false));
		if (fd == -3)
			continue;       /* an answer held back is due */
		if (fd == -2)
			break;
		if (fd < 0) {
			log_msg(LOG_ERROR, "accept", "accept failed: %s", strerror(errno));
			break;
		}
		for (int i = 0; fr == NULL; i++)
			if (held.due_us[i] == 0)
				fr = &held.fr[i];
		/* libfcgi reads the request from a connection it is handed when
		 * ipcFd is set and the last one is kept (its public fields) */
		fr->ipcFd = fd;
		fr->keepConnection = 1;
		if (FCGX_Accept_r(fr) < 0) {
			/* not a FastCGI request; the connection is closed */
			FCGX_Finish_r(fr);
			continue;
		}
		store_begin(app->store);
		hold_ms = serve_request(app, fr, &answer, &answer_len);
		if (hold_ms <= 0) {
			http_write_deferred(fr, answer, answer_len);
			finish_request(fr);
			continue;
		}
		slot = (int)(fr - held.fr);
		held.due_us[slot] = monotime_us() + (int64_t)hold_ms * 1000;
		held.answer[slot] = answer;
		held.answer_len[slot] = answer_len;
		/* one slot stays free for the next connection */
		if (++held.count == HELD_MAX)
			finish_due(&held, true);
	}
	/* what is held goes out in its time, also when leaving on an error */
	while (held.count > 0)
		finish_due(&held, true);
	store_free(app->store);
	return fd == -2 ? 0 : 1;
}

/* SIGHUP: read the secret(s) again; the pool then replaces its workers,
 * which start with the new keys.  A bad file keeps the old keys. */
static int reload_keys(void *ctx)
{
	struct token_keys fresh;
	char err[256];

	(void)ctx;
	if (token_keys_load(&fresh, cfg.secret_file, cfg.secret, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "reload", "keeping the old secret: %s", err);
		return -1;
	}
	keys = fresh;
	sodium_memzero(&fresh, sizeof(fresh));
	log_msg(LOG_INFO, "reload", "server secret read again: %d in force", keys.count);
	return 0;
}

static int cmd_serve(void)
{
	static struct app app;
	struct rlimit no_core = { 0, 0 };
	const char *const *labels;
	size_t nlabels;

	/* keys live in these processes' memory: no core dumps, no ptrace */
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0);
	if (load_keys() != 0)
		return 1;
	{
		/* a URL that cannot be read is refused now, not by each worker */
		char err[256];
		struct store *probe = store_new(cfg.database_url, cfg.db_prepared,
						cfg.db_timeout, err, sizeof(err));

		if (probe == NULL) {
			fprintf(stderr, "keyfin: %s\n", err);
			return 1;
		}
		store_free(probe);
	}
	if (cfg.migrate_on_start) {
		struct store *s = open_store();
		int rc = s ? run_migrate(s) : -1;

		store_free(s);
		if (rc != 0)
			return 1;
	}
	app.cfg = &cfg;
	app.keys = &keys;
	labels = route_labels(&nlabels);
	if (metrics_init(labels, nlabels) != 0)
		log_msg(LOG_WARN, "metrics", "no shared memory for metrics: /metrics stays empty");
	if (gethostname(app.hostname, sizeof(app.hostname) - 1) != 0)
		strcpy(app.hostname, "keyfin");
	return pool_run(&cfg, worker_main, reload_keys, &app) == 0 ? 0 : 1;
}

static int print_key(const struct store_key *key, void *ctx)
{
	char token[TOKEN_HEX_LEN + 1], created[RENDER_DATE_LEN + 1], used[RENDER_DATE_LEN + 1];

	(void)ctx;
	if (key->sealed_len == 0)
		snprintf(token, sizeof(token), "%s... (hash-only)", key->prefix);
	else if (token_open(&keys, key->sealed, key->sealed_len, token) < 0)
		strcpy(token, "(sealed under another secret)");
	render_format_date(key->created_us, created);
	render_format_date(key->last_activity_us, used);
	printf("%s\t%s\t%s\t%s\n", token, key->app_name, created, used);
	sodium_memzero(token, sizeof(token));
	return 0;
}

static int cmd_key(int argc, char **argv, struct store *s)
{
	char token[TOKEN_HEX_LEN + 1];
	enum store_status st;

	if (argc == 3 && strcmp(argv[1], "create") == 0) {
		char name[APIKEY_NAME_INPUT_MAX + 1];
		enum apikey_name_check check;

		snprintf(name, sizeof(name), "%s", argv[2]);
		check = strlen(argv[2]) > APIKEY_NAME_INPUT_MAX ? APIKEY_NAME_TOO_LONG
			: apikey_check_name(name, strlen(name));
		if (check != APIKEY_NAME_OK) {
			fprintf(stderr, "keyfin: %s\n", apikey_name_problem(check));
			return 2;
		}
		int64_t created;

		if (apikey_create(&keys, s, name, &cli_actor, cfg.hash_only, token, &created) != STORE_OK)
			return 1;
		printf("%s\n", token);
		sodium_memzero(token, sizeof(token));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return store_key_list(s, print_key, NULL, NULL) == STORE_OK ? 0 : 1;
	if (argc == 3 && strcmp(argv[1], "revoke") == 0) {
		st = apikey_revoke(&keys, s, argv[2], &cli_actor);
		if (st != STORE_OK)
			return 1;
		/* as the API's DELETE: done once no worker can still accept it,
		 * whatever KEYFIN_AUTH_CACHE_MS the servers were given */
		auth_revocation_wait(CONFIG_AUTH_CACHE_MS_MAX);
		return 0;
	}
	fputs(usage, stderr);
	return 2;
}

/* The password comes from the environment or stdin, never argv (ps shows it). */
static int read_password(char *out, size_t len)
{
	const char *env = getenv("KEYFIN_USER_PASSWORD");
	size_t n;

	if (env != NULL) {
		if (strlen(env) >= len)
			return -1;
		strcpy(out, env);
		return 0;
	}
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password: ");
	if (fgets(out, (int)len, stdin) == NULL)
		return -1;
	n = strcspn(out, "\r\n");
	if (out[n] == '\0' && n == len - 1)
		return -1;      /* longer than the buffer */
	out[n] = '\0';
	return 0;
}

static int print_audit(const struct store_audit_entry *e, void *ctx)
{
	char at[RENDER_DATE_LEN + 1], sentence[512];

	(void)ctx;
	render_format_date(e->at_us, at);
	audit_describe(e, sentence, sizeof(sentence));
	printf("%s\t%s\t%s\t%s\t%s\n", at, e->event, e->remote_addr, e->client, sentence);
	return 0;
}

static int cmd_audit(int argc, char **argv, struct store *s)
{
	struct store_audit_query q = { NULL, -1, 0, 50 };
	char *end;

	if (argc > 2 || (argc == 2 && ((q.limit = strtoll(argv[1], &end, 10)) <= 0 || *end))) {
		fputs(usage, stderr);
		return 2;
	}
	return store_audit_list(s, &q, print_audit, NULL) == STORE_OK ? 0 : 1;
}

static int cmd_unlock(const char *name, struct store *s)
{
	struct store_user user;
	enum store_status st = store_user_by_name(s, name, &user);

	if (st == STORE_NOT_FOUND) {
		fprintf(stderr, "keyfin: no user %s\n", name);
		return 1;
	}
	if (st != STORE_OK || store_user_unlock(s, user.id) != STORE_OK)
		return 1;
	fprintf(stderr, "keyfin: user %s unlocked\n", user.name);
	return 0;
}

static int cmd_user(int argc, char **argv, struct store *s)
{
	char password[ACCOUNT_PASSWORD_MAX + 2];
	bool admin = false, if_missing = false;
	struct store_user user;
	const char *name = NULL, *problem;
	enum store_status st;

	if (argc == 3 && strcmp(argv[1], "unlock") == 0)
		return cmd_unlock(argv[2], s);
	if (argc < 3 || strcmp(argv[1], "add") != 0) {
		fputs(usage, stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--admin") == 0)
			admin = true;
		else if (strcmp(argv[i], "--if-missing") == 0)
			if_missing = true;
		else if (name == NULL && argv[i][0] != '-')
			name = argv[i];
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (name == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	if ((problem = account_name_problem(name)) != NULL) {
		fprintf(stderr, "keyfin: %s\n", problem);
		return 2;
	}
	st = store_user_by_name(s, name, &user);
	if (st == STORE_OK) {
		if (if_missing) {
			fprintf(stderr, "keyfin: user %s exists; nothing to do\n", name);
			return 0;
		}
		fprintf(stderr, "keyfin: user %s exists\n", name);
		return 1;
	}
	if (st != STORE_NOT_FOUND)
		return 1;
	if (read_password(password, ACCOUNT_PASSWORD_MAX + 1) != 0) {
		fprintf(stderr, "keyfin: no password given (KEYFIN_USER_PASSWORD or stdin, "
			"at most %d bytes)\n", ACCOUNT_PASSWORD_MAX);
		return 2;
	}
	st = account_create(s, name, password, admin, &user);
	sodium_memzero(password, sizeof(password));
	if (st == STORE_CONFLICT) {
		fprintf(stderr, "keyfin: user %s exists\n", name);
		return if_missing ? 0 : 1;
	}
	if (st != STORE_OK)
		return 1;
	fprintf(stderr, "keyfin: user %s created%s (id %s)\n", name,
		admin ? " as an administrator" : "", user.id);
	return 0;
}

static int cmd_rotate(struct store *s)
{
	int resealed = 0, unopenable = 0;
	char target[96];

	if (apikey_reseal_all(&keys, s, &resealed, &unopenable) != STORE_OK) {
		fprintf(stderr, "keyfin: re-sealing stopped after %d keys (see above); "
			"run it again\n", resealed);
		return 1;
	}
	snprintf(target, sizeof(target), "%d keys re-sealed under the current secret",
		 resealed);
	if (store_audit_add(s, "secret.rotate", "Information", &cli_actor, target) != STORE_OK)
		fprintf(stderr, "keyfin: could not record the rotation in the audit trail\n");
	fprintf(stderr, "keyfin: %s", target);
	if (unopenable > 0)
		fprintf(stderr, "; %d keys could not be re-sealed (hash-only keys keep "
			"working only while their old secret is given; others were sealed "
			"under a secret no longer given)", unopenable);
	fprintf(stderr, "\n");
	return 0;
}

static int cmd_with_store(int argc, char **argv)
{
	struct store *s;
	int rc;

	if ((strcmp(argv[0], "key") == 0 || strcmp(argv[0], "secret") == 0) && load_keys() != 0)
		return 1;
	s = open_store();
	if (s == NULL)
		return 1;
	if (strcmp(argv[0], "migrate") == 0)
		rc = argc == 1 ? (run_migrate(s) == 0 ? 0 : 1) : 2;
	else if (strcmp(argv[0], "key") == 0)
		rc = cmd_key(argc, argv, s);
	else if (strcmp(argv[0], "audit") == 0)
		rc = cmd_audit(argc, argv, s);
	else if (strcmp(argv[0], "secret") == 0)
		rc = argc == 2 && strcmp(argv[1], "rotate") == 0 ? cmd_rotate(s) : 2;
	else
		rc = cmd_user(argc, argv, s);
	store_free(s);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";

	/* character classes for user names (glibc's C.UTF-8 knows all of
	 * Unicode); numbers and messages stay as in the C locale */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		fprintf(stderr, "keyfin: no C.UTF-8 locale: user names are checked as ASCII\n");

	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage, stdout);
		config_print_help(stdout);
		return argc > 1 ? 0 : 2;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("keyfin %s (Jellyfin API 10.11)\n", KEYFIN_VERSION);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "keyfin: libsodium cannot start\n");
		return 1;
	}
	if (strcmp(cmd, "secret") == 0 && argc == 3 && strcmp(argv[2], "generate") == 0) {
		char secret[TOKEN_SECRET_HEX_LEN + 1];

		token_secret_generate(secret);
		printf("%s\n", secret);
		sodium_memzero(secret, sizeof(secret));
		return 0;
	}
	if (load_config() != 0)
		return 2;
	if (strcmp(cmd, "serve") == 0 && argc == 2)
		return cmd_serve();
	if (strcmp(cmd, "migrate") == 0 || strcmp(cmd, "key") == 0 || strcmp(cmd, "user") == 0 ||
	    strcmp(cmd, "audit") == 0 || strcmp(cmd, "secret") == 0)
		return cmd_with_store(argc - 1, argv + 1);
	fputs(usage, stderr);
	return 2;
}
