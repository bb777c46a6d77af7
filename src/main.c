/*
 * keyfin: a Jellyfin-compatible API-key service.  This file parses the
 * command line, runs the sub-commands, and is the only place that exits.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfin/account.h"
#include "keyfin/apikey.h"
#include "keyfin/app.h"
#include "keyfin/audit.h"
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
	"  secret check               whether the secret given is the one this database's\n"
	"                             keys were made under (exit 1 if not)\n"
	"  secret adopt               make the current secret the database's: keys and\n"
	"                             sessions made under another one stop working\n"
	"  auth-cache                 print the memory window (ms) every instance uses\n"
	"  auth-cache set MS          set it (0 to 1000; 50 after migrate); returns once\n"
	"                             no worker can still use the old one\n"
	"  help, --help               this text\n"
	"  version, --version         the version\n"
	"\n"
	"Exit status: 0 done, 1 failed, 2 usage error.\n\n";

/* The settings and secrets, for the command line and for `serve` (whose
 * workers inherit it: src/worker.c). */
static struct app app = { .cfg = &app.config, .keys = &app.secrets };

/* How the audit trail names what the command line does. */
static const struct store_actor cli_actor = { "command line", NULL, "local", "keyfin" };

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

static const char secret_mismatch[] =
	"keyfin: the server secret does not match this database: its keys and sessions\n"
	"  were made under another secret (a database restored without the secret file\n"
	"  it was backed up with, or next to a secret a new install made?).  Give keyfin\n"
	"  the secret file backed up with this database (KEYFIN_SECRET_FILE).  To start\n"
	"  over with this secret instead, `keyfin secret adopt`: every stored key and\n"
	"  session then stops working.\n";

/*
 * Is the secret given the one this database's keys were made under
 * (sql/0008_secret_check.sql)?  0: yes (recorded now if none was and
 * `claim`); -1: no, said on stderr; 1: it could not be told (an error, or
 * nothing recorded and not `claim`).
 */
static int check_secret(struct store *s, bool claim)
{
	unsigned char found[TOKEN_CHECK_LEN];
	size_t found_len = 0;
	enum store_status st;

	st = store_secret_check(s, claim ? app.secrets.set[0].check : NULL, TOKEN_CHECK_LEN,
				found, &found_len);
	if (st == STORE_OK && found_len == 0 && claim)  /* recorded meanwhile by another */
		st = store_secret_check(s, NULL, TOKEN_CHECK_LEN, found, &found_len);
	if (st != STORE_OK || found_len == 0)
		return 1;
	if (token_check_match(&app.secrets, found, found_len) < 0) {
		fputs(secret_mismatch, stderr);
		log_msg(LOG_ERROR, "secret", "the server secret does not match this database");
		return -1;
	}
	return 0;
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
	} else if (check_secret(s, true) < 0) {
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

static int print_key(const struct store_key *key, void *ctx)
{
	char token[TOKEN_HEX_LEN + 1], created[RENDER_DATE_LEN + 1], used[RENDER_DATE_LEN + 1];

	(void)ctx;
	if (key->sealed_len == 0)
		snprintf(token, sizeof(token), "%s... (hash-only)", key->prefix);
	else if (token_open(&app.secrets, key->sealed, key->sealed_len, token) < 0)
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

		check = apikey_take_name(argv[2], strlen(argv[2]), name);
		if (check != APIKEY_NAME_OK) {
			fprintf(stderr, "keyfin: %s\n", apikey_name_problem(check));
			return 2;
		}
		int64_t created;

		if (apikey_create(&app.secrets, s, name, &cli_actor, app.config.hash_only, token, &created) != STORE_OK)
			return 1;
		printf("%s\n", token);
		sodium_memzero(token, sizeof(token));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return store_key_list(s, print_key, NULL, NULL) == STORE_OK ? 0 : 1;
	if (argc == 3 && strcmp(argv[1], "revoke") == 0) {
		st = apikey_revoke(&app.secrets, s, argv[2], &cli_actor);
		if (st != STORE_OK)
			return 1;
		/* as the API's DELETE: done once no worker can still accept it */
		revhold_wait(revhold_window(s));
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
	struct store_audit_query q = { .has_user = -1, .start = 0, .limit = 50 };
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

	if (apikey_reseal_all(&app.secrets, s, &resealed, &unopenable) != STORE_OK) {
		fprintf(stderr, "keyfin: re-sealing stopped after %d keys (see above); "
			"run it again\n", resealed);
		return 1;
	}
	/* the keys are the current secret's now: it is the database's */
	if (store_secret_check_set(s, app.secrets.set[0].check, TOKEN_CHECK_LEN) != STORE_OK) {
		fprintf(stderr, "keyfin: could not record the current secret as the database's; "
			"run it again\n");
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

/* `auth-cache [set MS]`: the memory window, which lives in the database
 * (sql/0007_auth_cache_window.sql) so that every instance uses one. */
static int cmd_auth_cache(int argc, char **argv, struct store *s)
{
	int window, previous, was;
	char target[96], *end;
	long ms;

	if (argc == 1) {
		if (store_auth_cache_get(s, &window, &previous) != STORE_OK)
			return 1;
		printf("%d\n", window);
		if (previous > window)
			fprintf(stderr, "keyfin: a change is under way: revocations still wait "
				"%d ms\n", previous);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "set") != 0) {
		fputs(usage, stderr);
		return 2;
	}
	ms = strtol(argv[2], &end, 10);
	if (end == argv[2] || *end != '\0' || ms < 0 || ms > CONFIG_AUTH_CACHE_MS_MAX) {
		fprintf(stderr, "keyfin: auth-cache set: expected milliseconds, 0 to %d\n",
			CONFIG_AUTH_CACHE_MS_MAX);
		return 2;
	}
	if (store_auth_cache_set(s, (int)ms, &was, &previous) != STORE_OK)
		return 1;
	snprintf(target, sizeof(target), "%d ms to %ld ms", was, ms);
	if (store_audit_add(s, "settings.auth_cache", "Information", &cli_actor, target) != STORE_OK)
		fprintf(stderr, "keyfin: could not record the change in the audit trail\n");
	if (previous > ms) {
		/* a worker may have read the old window just before the change
		 * committed: revocations wait it until then */
		fprintf(stderr, "keyfin: waiting %d ms for workers still using the old window\n",
			previous);
		revhold_wait(previous);
	}
	if (store_auth_cache_settled(s, (int)ms, previous) != STORE_OK) {
		fprintf(stderr, "keyfin: the window is %ld ms, but revocations still wait %d ms: "
			"run this command again\n", ms, previous);
		return 1;
	}
	fprintf(stderr, "keyfin: the memory window is %ld ms on every instance (was %d ms); "
		"KEYFIN_AUTH_CACHE_MS can only lower it for an instance\n", ms, was);
	return 0;
}

/* `secret check`, `secret adopt`, `secret rotate` (generate needs no store). */
static int cmd_secret(int argc, char **argv, struct store *s)
{
	int rc;

	if (argc != 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "rotate") == 0)
		return cmd_rotate(s);
	if (strcmp(argv[1], "check") == 0) {
		rc = check_secret(s, false);
		if (rc == 0)
			fprintf(stderr, "keyfin: the server secret is this database's\n");
		else if (rc > 0)
			fprintf(stderr, "keyfin: no secret is recorded in this database yet "
				"(`keyfin serve` records its secret when it first starts)\n");
		return rc < 0 ? 1 : 0;
	}
	if (strcmp(argv[1], "adopt") == 0) {
		if (store_secret_check_set(s, app.secrets.set[0].check, TOKEN_CHECK_LEN) != STORE_OK)
			return 1;
		if (store_audit_add(s, "secret.adopt", "Warning", &cli_actor,
				    "the current server secret made the database's") != STORE_OK)
			fprintf(stderr, "keyfin: could not record this in the audit trail\n");
		fprintf(stderr, "keyfin: the current server secret is now this database's; keys "
			"and sessions made under another secret no longer work\n");
		return 0;
	}
	fputs(usage, stderr);
	return 2;
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
	if (strcmp(argv[0], "key") == 0 && check_secret(s, true) < 0) {
		store_free(s);
		return 1;
	}
	if (strcmp(argv[0], "migrate") == 0)
		rc = argc == 1 ? (run_migrate(s) == 0 ? 0 : 1) : 2;
	else if (strcmp(argv[0], "key") == 0)
		rc = cmd_key(argc, argv, s);
	else if (strcmp(argv[0], "audit") == 0)
		rc = cmd_audit(argc, argv, s);
	else if (strcmp(argv[0], "secret") == 0)
		rc = cmd_secret(argc, argv, s);
	else if (strcmp(argv[0], "auth-cache") == 0)
		rc = cmd_auth_cache(argc, argv, s);
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
	    strcmp(cmd, "audit") == 0 || strcmp(cmd, "secret") == 0 ||
	    strcmp(cmd, "auth-cache") == 0)
		return cmd_with_store(argc - 1, argv + 1);
	fputs(usage, stderr);
	return 2;
}
