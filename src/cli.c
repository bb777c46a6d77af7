/*
 * cli: the sub-commands of `keyfin` that work on keys, users and the audit
 * trail, and the command line's usage text.  src/main.c parses the command
 * line, opens the database and runs them; the secret's commands are in
 * src/cli_secret.c.
 */
#include "keyfin/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfin/account.h"
#include "keyfin/apikey.h"
#include "keyfin/audit.h"
#include "keyfin/render.h"
#include "keyfin/revhold.h"
#include "keyfin/token.h"

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

void cli_usage(FILE *out)
{
	fputs(usage, out);
}

/* How the audit trail names what the command line does. */
const struct store_actor cli_actor = { "command line", NULL, "local", "keyfin" };

static int print_key(const struct store_key *key, void *ctx)
{
	const struct token_keys *keys = ctx;
	char token[TOKEN_HEX_LEN + 1], created[RENDER_DATE_LEN + 1], used[RENDER_DATE_LEN + 1];

	if (key->sealed_len == 0)
		snprintf(token, sizeof(token), "%s... (hash-only)", key->prefix);
	else if (token_open(keys, key->sealed, key->sealed_len, token) < 0)
		strcpy(token, "(sealed under another secret)");
	render_format_date(key->created_us, created);
	render_format_date(key->last_activity_us, used);
	printf("%s\t%s\t%s\t%s\n", token, key->app_name, created, used);
	sodium_memzero(token, sizeof(token));
	return 0;
}

int cli_key(const struct app *app, int argc, char **argv, struct store *s)
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

		if (apikey_create(app->keys, s, name, &cli_actor, app->cfg->hash_only, token, &created) != STORE_OK)
			return 1;
		printf("%s\n", token);
		sodium_memzero(token, sizeof(token));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return store_key_list(s, print_key, (void *)app->keys, NULL) == STORE_OK ? 0 : 1;
	if (argc == 3 && strcmp(argv[1], "revoke") == 0) {
		st = apikey_revoke(app->keys, s, argv[2], &cli_actor);
		if (st != STORE_OK)
			return 1;
		/* as the API's DELETE: done once no worker can still accept it */
		revhold_wait(revhold_window(s));
		return 0;
	}
	cli_usage(stderr);
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

int cli_audit(int argc, char **argv, struct store *s)
{
	struct store_audit_query q = { .has_user = -1, .start = 0, .limit = 50 };
	char *end;

	if (argc > 2 || (argc == 2 && ((q.limit = strtoll(argv[1], &end, 10)) <= 0 || *end))) {
		cli_usage(stderr);
		return 2;
	}
	return store_audit_list(s, &q, print_audit, NULL) == STORE_OK ? 0 : 1;
}

static int user_unlock(const char *name, struct store *s)
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

int cli_user(int argc, char **argv, struct store *s)
{
	char password[ACCOUNT_PASSWORD_MAX + 2];
	bool admin = false, if_missing = false;
	struct store_user user;
	const char *name = NULL, *problem;
	enum store_status st;

	if (argc == 3 && strcmp(argv[1], "unlock") == 0)
		return user_unlock(argv[2], s);
	if (argc < 3 || strcmp(argv[1], "add") != 0) {
		cli_usage(stderr);
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
			cli_usage(stderr);
			return 2;
		}
	}
	if (name == NULL) {
		cli_usage(stderr);
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

