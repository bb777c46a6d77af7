/*
 * keyfin: a Jellyfin-compatible API-key service.  This file parses the
 * command line, runs `serve` and `migrate`, hands the other sub-commands
 * their database (src/cli.c, src/cli_secret.c), and is the only place that
 * exits.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfin/app.h"
#include "keyfin/cli.h"
#include "keyfin/config.h"
#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/pool.h"
#include "keyfin/revhold.h"
#include "keyfin/render.h"
#include "keyfin/route.h"
#include "keyfin/store.h"
#include "keyfin/throttle.h"
#include "keyfin/token.h"
#include "keyfin/worker.h"

#define KEYFIN_VERSION "0.2.0-dev"

/* The settings and secrets, for the command line and for `serve` (whose
 * workers inherit it: src/worker.c). */
static struct app app = { .cfg = &app.config, .keys = &app.secrets };

static int load_config(void)
{
	char err[256];

	if (config_load(&app.config, err, sizeof(err)) != 0) {
		fprintf(stderr, "keyfin: %s\n", err);
		return -1;
	}
	log_set_level(app.config.log_level);
	return 0;
}

static int load_keys(void)
{
	char err[256];

	if (token_keys_load(&app.secrets, app.config.secret_file, app.config.secret, err, sizeof(err)) != 0) {
		fprintf(stderr, "keyfin: %s\n", err);
		return -1;
	}
	sodium_mlock(&app.secrets, sizeof(app.secrets));
	return 0;
}

static struct store *open_store(void)
{
	char err[256];
	struct store *s = store_new(app.config.database_url, app.config.db_prepared, app.config.db_timeout,
				    err, sizeof(err));
	enum store_status st;

	if (s == NULL) {
		fprintf(stderr, "keyfin: %s\n", err);
		return NULL;
	}
	st = store_ready(s);
	if (st != STORE_OK) {
		fprintf(stderr, "keyfin: cannot use the database (%s; PostgreSQL's own words "
			"are in the log line above)\n",
			st == STORE_UNAVAILABLE ? "unreachable, or it refused the login" : "error");
		store_free(s);
		return NULL;
	}
	return s;
}

/*
 * Before `serve` starts: a database whose schema is older than this binary
 * (it would fail every request) or whose keys were made under another
 * secret (it would refuse every stored key with 401) stops the start with a
 * message.  A database that cannot be reached now is no reason not to
 * start (the workers answer 503 until it is back): both are then skipped,
 * with a warning.  0: start; -1: do not.
 */
static int check_database(void)
{
	char err[256];
	struct store *s = store_new(app.config.database_url, app.config.db_prepared,
				    app.config.db_timeout, err, sizeof(err));
	int version, rc = 0;

	if (s == NULL || store_ready(s) != STORE_OK) {
		log_msg(LOG_WARN, "start", "the database cannot be reached: its schema "
			"and the server secret were not checked");
		store_free(s);
		return 0;
	}
	if (store_schema_version(s, &version) == STORE_OK && version < store_schema_wanted()) {
		fprintf(stderr, "keyfin: the database's schema is version %d; this keyfin needs "
			"version %d: run `keyfin migrate` first\n", version, store_schema_wanted());
		log_msg(LOG_ERROR, "start", "schema version %d, this keyfin needs %d: "
			"run `keyfin migrate`", version, store_schema_wanted());
		rc = -1;
	} else if (cli_check_secret(&app, s, true) < 0) {
		rc = -1;
	}
	store_free(s);
	return rc;
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

static int cmd_serve(void)
{
	struct rlimit no_core = { 0, 0 };
	const char *const *labels;
	size_t nlabels;

	/* keys live in these processes' memory: no core dumps, no ptrace */
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0);
	if (load_keys() != 0)
		return 1;
	{
		/* front mode: the upstream key, read now, before the workers drop root */
		char err[256];

		if (front_upstream_reload(&app.upstream, app.config.upstream_key_file, err,
					  sizeof(err)) != 0) {
			fprintf(stderr, "keyfin: %s\n", err);
			return 1;
		}
		sodium_mlock(&app.upstream, sizeof(app.upstream));
	}
	{
		/* a URL that cannot be read is refused now, not by each worker */
		char err[256];
		struct store *probe = store_new(app.config.database_url, app.config.db_prepared,
						app.config.db_timeout, err, sizeof(err));

		if (probe == NULL) {
			fprintf(stderr, "keyfin: %s\n", err);
			return 1;
		}
		store_free(probe);
	}
	if (app.config.migrate_on_start) {
		struct store *s = open_store();
		int rc = s ? run_migrate(s) : -1;

		store_free(s);
		if (rc != 0)
			return 1;
	}
	if (check_database() != 0)
		return 1;
	labels = route_labels(&nlabels);
	if (metrics_init(labels, nlabels) != 0)
		log_msg(LOG_WARN, "metrics", "no shared memory for metrics: /metrics stays empty");
	if (throttle_init(app.config.auth_fail_burst, app.config.auth_fail_rate) != 0)
		log_msg(LOG_WARN, "throttle", "no shared memory: failed credentials are not throttled");
	if (gethostname(app.hostname, sizeof(app.hostname) - 1) != 0)
		strcpy(app.hostname, "keyfin");
	return pool_run(&app.config, worker_main, worker_reload, &app) == 0 ? 0 : 1;
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
	if (strcmp(argv[0], "key") == 0 && cli_check_secret(&app, s, true) < 0) {
		store_free(s);
		return 1;
	}
	if (strcmp(argv[0], "migrate") == 0)
		rc = argc == 1 ? (run_migrate(s) == 0 ? 0 : 1) : 2;
	else if (strcmp(argv[0], "key") == 0)
		rc = cli_key(&app, argc, argv, s);
	else if (strcmp(argv[0], "audit") == 0)
		rc = cli_audit(argc, argv, s);
	else if (strcmp(argv[0], "secret") == 0)
		rc = cli_secret(&app, argc, argv, s);
	else if (strcmp(argv[0], "auth-cache") == 0)
		rc = cli_auth_cache(argc, argv, s);
	else
		rc = cli_user(argc, argv, s);
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
		cli_usage(stdout);
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
	    strcmp(cmd, "audit") == 0 || strcmp(cmd, "secret") == 0 ||
	    strcmp(cmd, "auth-cache") == 0)
		return cmd_with_store(argc - 1, argv + 1);
	cli_usage(stderr);
	return 2;
}
