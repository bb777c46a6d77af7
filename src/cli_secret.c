/*
 * cli_secret: the sub-commands about the server secret (`secret check`,
 * `adopt`, `rotate`) and the memory window (`auth-cache`), and the check
 * `serve` and `key` make before they start: is the secret given the one
 * this database's keys were made under?
 */
#include "keyfin/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/apikey.h"
#include "keyfin/config.h"
#include "keyfin/log.h"
#include "keyfin/revhold.h"
#include "keyfin/token.h"

static const char secret_mismatch[] =
	"keyfin: the server secret does not match this database: its keys and sessions\n"
	"  were made under another secret (a database restored without the secret file\n"
	"  it was backed up with, or next to a secret a new install made?).  Give keyfin\n"
	"  the secret file backed up with this database (KEYFIN_SECRET_FILE).  To start\n"
	"  over with this secret instead, `keyfin secret adopt`: every stored key and\n"
	"  session then stops working.\n";

int cli_check_secret(const struct app *app, struct store *s, bool claim)
{
	unsigned char found[TOKEN_CHECK_LEN];
	size_t found_len = 0;
	enum store_status st;

	st = store_secret_check(s, claim ? app->keys->set[0].check : NULL, TOKEN_CHECK_LEN,
				found, &found_len);
	if (st == STORE_OK && found_len == 0 && claim)  /* recorded meanwhile by another */
		st = store_secret_check(s, NULL, TOKEN_CHECK_LEN, found, &found_len);
	if (st != STORE_OK || found_len == 0)
		return 1;
	if (token_check_match(app->keys, found, found_len) < 0) {
		fputs(secret_mismatch, stderr);
		log_msg(LOG_ERROR, "secret", "the server secret does not match this database");
		return -1;
	}
	return 0;
}

static int secret_rotate(const struct app *app, struct store *s)
{
	int resealed = 0, unopenable = 0;
	char target[96];

	if (apikey_reseal_all(app->keys, s, &resealed, &unopenable) != STORE_OK) {
		fprintf(stderr, "keyfin: re-sealing stopped after %d keys (see above); "
			"run it again\n", resealed);
		return 1;
	}
	/* the keys are the current secret's now: it is the database's */
	if (store_secret_check_set(s, app->keys->set[0].check, TOKEN_CHECK_LEN) != STORE_OK) {
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
int cli_auth_cache(int argc, char **argv, struct store *s)
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
		cli_usage(stderr);
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
int cli_secret(const struct app *app, int argc, char **argv, struct store *s)
{
	int rc;

	if (argc != 2) {
		cli_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "rotate") == 0)
		return secret_rotate(app, s);
	if (strcmp(argv[1], "check") == 0) {
		rc = cli_check_secret(app, s, false);
		if (rc == 0)
			fprintf(stderr, "keyfin: the server secret is this database's\n");
		else if (rc > 0)
			fprintf(stderr, "keyfin: no secret is recorded in this database yet "
				"(`keyfin serve` records its secret when it first starts)\n");
		return rc < 0 ? 1 : 0;
	}
	if (strcmp(argv[1], "adopt") == 0) {
		if (store_secret_check_set(s, app->keys->set[0].check, TOKEN_CHECK_LEN) != STORE_OK)
			return 1;
		if (store_audit_add(s, "secret.adopt", "Warning", &cli_actor,
				    "the current server secret made the database's") != STORE_OK)
			fprintf(stderr, "keyfin: could not record this in the audit trail\n");
		fprintf(stderr, "keyfin: the current server secret is now this database's; keys "
			"and sessions made under another secret no longer work\n");
		return 0;
	}
	cli_usage(stderr);
	return 2;
}
