/*
 * config: every setting of keyfin in one table (name, environment variable,
 * default, documentation).  Values come from the environment (12-factor);
 * a bad value is refused at start with a message that names the variable.
 */
#ifndef KEYFIN_CONFIG_H
#define KEYFIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_AUTH_CACHE_MS_MAX 1000

struct config {
	const char *database_url;
	const char *listen;
	int workers;
	const char *secret_file;
	const char *secret;
	bool legacy_authorization;
	const char *server_name;
	bool migrate_on_start;
	int activity_interval;
	int usage_interval;
	int auth_cache_ms;              /* a cap on the database's window, <= CONFIG_AUTH_CACHE_MS_MAX */
	bool db_prepared;
	int db_timeout;                 /* ms */
	int max_body;
	const char *log_level;
	int backlog;
	int login_attempts;
	int auth_fail_burst;
	int auth_fail_rate;
	int lockout_seconds;
	const char *run_as;
	bool allow_root;
	const char *roll_reuse;         /* "record" or "revoke" */
	bool hash_only;
	int revoke_unused_days;
	const char *upstream;           /* KEYFIN_UPSTREAM: front mode (nginx's) */
	const char *upstream_key_file;  /* the Jellyfin API key forwarded for keyfin keys */
};

/*
 * Fill `cfg` from the environment.  Strings point into the environment or
 * into static defaults; nothing is allocated.  Returns 0, or -1 with a
 * sentence in `err` naming the variable and what it accepts.
 */
int config_load(struct config *cfg, char *err, size_t err_len);

/* Print the table of settings (variable, default, meaning) for --help. */
void config_print_help(FILE *out);

#endif
