/*
 * cli: what `keyfin`'s sub-commands do with the database (src/cli.c: keys,
 * users, the audit trail, the usage text; src/cli_secret.c: the server
 * secret and the memory window).  src/main.c parses the command line, opens
 * the database and calls them.  Each returns the exit status: 0 done,
 * 1 failed, 2 usage error (the usage text already printed).
 */
#ifndef KEYFIN_CLI_H
#define KEYFIN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "keyfin/app.h"
#include "keyfin/store.h"

/* How the audit trail names what the command line does. */
extern const struct store_actor cli_actor;

void cli_usage(FILE *out);

int cli_key(const struct app *app, int argc, char **argv, struct store *s);
int cli_user(int argc, char **argv, struct store *s);
int cli_audit(int argc, char **argv, struct store *s);
int cli_secret(const struct app *app, int argc, char **argv, struct store *s);
int cli_auth_cache(int argc, char **argv, struct store *s);

/* Is the secret given the one this database's keys were made under
 * (sql/0008_secret_check.sql)?  0: yes (recorded now if none was and
 * `claim`); -1: no, said on stderr; 1: it could not be told (an error, or
 * nothing recorded and not `claim`). */
int cli_check_secret(const struct app *app, struct store *s, bool claim);

#endif
