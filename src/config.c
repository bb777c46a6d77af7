#include "keyfin/config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_BOOL };

struct config_entry {
	const char *env;
	enum config_type type;
	size_t offset;
	const char *def;        /* NULL: computed at load (see config_load) */
	int min, max;           /* CONFIG_INT bounds */
	const char *doc;
};

#define STR(field, env, def, doc) \
	{ env, CONFIG_STRING, offsetof(struct config, field), def, 0, 0, doc }
#define INT(field, env, def, lo, hi, doc) \
	{ env, CONFIG_INT, offsetof(struct config, field), def, lo, hi, doc }
#define BOOL(field, env, def, doc) \
	{ env, CONFIG_BOOL, offsetof(struct config, field), def, 0, 0, doc }

static const struct config_entry config_table[] = {
	STR(database_url, "KEYFIN_DATABASE_URL", "",
	    "libpq connection string or URL; falls back to DATABASE_URL, then to libpq's PG* variables"),
	STR(listen, "KEYFIN_LISTEN", "127.0.0.1:9000",
	    "FastCGI socket: unix:/path/to.sock, HOST:PORT or :PORT"),
	INT(workers, "KEYFIN_WORKERS", NULL, 1, 256,
	    "worker processes (default: twice the CPU cores, at least 4)"),
	STR(secret_file, "KEYFIN_SECRET_FILE", "",
	    "file holding the server secret: 64 hex characters (make one with `keyfin secret generate`)"),
	STR(secret, "KEYFIN_SECRET", "",
	    "the server secret itself, 64 hex characters (KEYFIN_SECRET_FILE is preferred)"),
	BOOL(legacy_authorization, "KEYFIN_LEGACY_AUTHORIZATION", "on",
	     "accept Emby-era credentials (X-Emby-Authorization, X-Emby-Token, X-MediaBrowser-Token, api_key, the Emby scheme): on = Jellyfin 10.11, off = 12.x"),
	STR(server_name, "KEYFIN_SERVER_NAME", "keyfin",
	    "ServerName reported by /System/Info"),
	BOOL(migrate_on_start, "KEYFIN_MIGRATE_ON_START", "off",
	     "apply pending migrations when `keyfin serve` starts"),
	INT(auth_cache_ms, "KEYFIN_AUTH_CACHE_MS", "1000", 0, CONFIG_AUTH_CACHE_MS_MAX,
	    "the most this instance's workers may use of the memory window, which lives in "
	    "the database (`keyfin auth-cache`, 50 ms after migrate): how long a worker answers "
	    "from its memory of who a token is before it asks PostgreSQL whether anything was "
	    "revoked. Only lowers the database's window, never raises it (0: no memory here)"),
	INT(activity_interval, "KEYFIN_ACTIVITY_INTERVAL", "60", 0, 86400,
	    "seconds between two writes of a key's or session's DateLastActivity (0: every use)"),
	INT(usage_interval, "KEYFIN_USAGE_INTERVAL", "60", 1, 3600,
	    "seconds between two writes of a worker's count of requests per key and hour "
	    "(GET /keyfin/v1/keys/{id}/usage lags by as much)"),
	BOOL(db_prepared, "KEYFIN_DB_PREPARED", "on",
	     "use named prepared statements; off sends every query unnamed (for pgbouncer < 1.21 in transaction mode)"),
	INT(db_timeout, "KEYFIN_DB_TIMEOUT", "2000", 100, 60000,
	    "milliseconds a request may wait for PostgreSQL in all, and a connection attempt "
	    "for each host; past it the request gets 503 and the connection is dropped"),
	INT(max_body, "KEYFIN_MAX_BODY", "65536", 1024, 16777216,
	    "largest request body accepted, in bytes (413 above)"),
	STR(log_level, "KEYFIN_LOG_LEVEL", "info",
	    "debug, info, warn or error"),
	INT(backlog, "KEYFIN_BACKLOG", "1024", 16, 65535,
	    "listen backlog of the FastCGI socket"),
	BOOL(hash_only, "KEYFIN_HASH_ONLY", "off",
	     "keep no recoverable copy of new keys, only their digest: GET /Auth/Keys then "
	     "shows a key's first characters (breaks clients that find their key by listing)"),
	INT(revoke_unused_days, "KEYFIN_REVOKE_UNUSED_DAYS", "0", 0, 36500,
	    "revoke keys not used for this many days (0: never); checked when a worker starts "
	    "and every 10 minutes, by one instance at a time"),
	STR(run_as, "KEYFIN_USER", "",
	    "when started as root, `serve` switches to this user once its socket is open "
	    "and the secret read"),
	STR(roll_reuse, "KEYFIN_ROLL_REUSE", "record",
	    "a rolled key used after its grace (it may have leaked): record (in the audit "
	    "trail and the key's details) or revoke (also revoke the key that replaced it)"),
	BOOL(allow_root, "KEYFIN_ALLOW_ROOT", "off",
	     "let `serve` started as root keep its workers as root when KEYFIN_USER is not "
	     "set (otherwise it refuses to start)"),
	INT(auth_fail_burst, "KEYFIN_AUTH_FAIL_BURST", "30", 0, 100000,
	    "failed credentials (unknown, revoked or expired tokens, wrong logins) an address "
	    "may send before its unknown credentials get 429 without a database lookup "
	    "(0: never); counted per instance"),
	INT(auth_fail_rate, "KEYFIN_AUTH_FAIL_RATE", "60", 1, 1000000,
	    "failed credentials a minute an address is forgiven (the burst leaks away at this "
	    "rate; a throttled address is free again once under the burst)"),
	STR(upstream, "KEYFIN_UPSTREAM", "",
	    "front mode: the Jellyfin nginx forwards every path outside /keyfin/ to, after "
	    "asking keyfin (nginx/front.conf.in; keyfin itself only needs the key file below)"),
	STR(upstream_key_file, "KEYFIN_UPSTREAM_KEY_FILE", "",
	    "front mode: file holding one Jellyfin API key, forwarded for an allowed keyfin key "
	    "(refused when group or others may read it); setting it turns front mode on"),
	INT(login_attempts, "KEYFIN_LOGIN_ATTEMPTS", "5", 0, 1000,
	    "failed logins in a row that lock a user (0: never); kept in the database, so "
	    "every instance counts together"),
	INT(lockout_seconds, "KEYFIN_LOCKOUT_SECONDS", "900", 1, 31536000,
	    "how long a locked user stays locked, unless an administrator saves its policy "
	    "or runs `keyfin user unlock`"),
};

#define CONFIG_COUNT (sizeof(config_table) / sizeof(config_table[0]))

static int parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "on", "true", "yes", "1" };
	static const char *no[] = { "off", "false", "no", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* Workers spend most of a request waiting for PostgreSQL: two a core (at
 * least four) keep the cores busy (the worker sweep of make bench). */
static int default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) * 2;

	return n < 4 ? 4 : n > 256 ? 256 : (int)n;
}

static int config_set(struct config *cfg, const struct config_entry *e,
		      const char *value, char *err, size_t err_len)
{
	char *field = (char *)cfg + e->offset;
	bool b;

	switch (e->type) {
	case CONFIG_STRING:
		*(const char **)(void *)field = value;
		return 0;
	case CONFIG_INT:
		if (parse_int(value, e->min, e->max, (int *)(void *)field) == 0)
			return 0;
		snprintf(err, err_len, "%s: expected a whole number from %d to %d",
			 e->env, e->min, e->max);
		return -1;
	case CONFIG_BOOL:
		if (parse_bool(value, &b) == 0) {
			*(bool *)(void *)field = b;
			return 0;
		}
		snprintf(err, err_len, "%s: expected on or off", e->env);
		return -1;
	}
	return -1;
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/*
 * Read KEYFIN_CONFIG: lines of `KEYFIN_NAME = value`, `#` comments, blank
 * lines.  Values are kept for the life of the process.  An unknown name is
 * an error, so a typo does not silently leave a default in place.
 */
static int config_read_file(const char *path, const char *values[], char *err, size_t err_len)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	int lineno = 0, rc = 0;

	if (f == NULL) {
		snprintf(err, err_len, "KEYFIN_CONFIG: cannot open %s: %s%s", path, strerror(errno),
			 errno == EACCES ? " (run this as root or as the user keyfin runs as)" : "");
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *name, *eq, *value;
		size_t i;

		lineno++;
		name = trim(line);
		if (name[0] == '\0' || name[0] == '#')
			continue;
		eq = strchr(name, '=');
		if (eq == NULL) {
			snprintf(err, err_len, "%s:%d: expected NAME = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		name = trim(name);
		value = trim(eq + 1);
		for (i = 0; i < CONFIG_COUNT && strcmp(config_table[i].env, name) != 0; i++)
			;
		if (i == CONFIG_COUNT) {
			snprintf(err, err_len, "%s:%d: unknown setting %.64s (see keyfin --help)",
				 path, lineno, name);
			rc = -1;
		} else if ((values[i] = strdup(value)) == NULL) {
			snprintf(err, err_len, "out of memory");
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

int config_load(struct config *cfg, char *err, size_t err_len)
{
	const char *from_file[CONFIG_COUNT] = { NULL };
	const char *path = getenv("KEYFIN_CONFIG");

	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = default_workers();
#ifdef KEYFIN_DEFAULT_CONFIG
	/* a packaged build (debian/rules): its settings file when there is one,
	 * so that `sudo -u keyfin keyfin key list` finds the database */
	if (path == NULL && access(KEYFIN_DEFAULT_CONFIG, F_OK) == 0)
		path = KEYFIN_DEFAULT_CONFIG;
#endif
	if (path != NULL && path[0] != '\0' && config_read_file(path, from_file, err, err_len) != 0)
		return -1;
	/* the environment wins over the file, the file over the default */
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		const struct config_entry *e = &config_table[i];
		const char *value = getenv(e->env);

		if (value == NULL || value[0] == '\0')
			value = from_file[i];
		if (value == NULL || value[0] == '\0')
			value = e->def;
		if (value == NULL)
			continue;
		if (config_set(cfg, e, value, err, err_len) != 0)
			return -1;
	}
	if (cfg->database_url[0] == '\0' && getenv("DATABASE_URL") != NULL)
		cfg->database_url = getenv("DATABASE_URL");
	if (strcmp(cfg->roll_reuse, "record") != 0 && strcmp(cfg->roll_reuse, "revoke") != 0) {
		snprintf(err, err_len, "KEYFIN_ROLL_REUSE=%.32s: record or revoke", cfg->roll_reuse);
		return -1;
	}
	if (cfg->upstream[0] != '\0' && cfg->upstream_key_file[0] == '\0') {
		snprintf(err, err_len, "KEYFIN_UPSTREAM needs KEYFIN_UPSTREAM_KEY_FILE: the file "
			 "holding the Jellyfin API key keyfin forwards");
		return -1;
	}
	if (strcmp(cfg->log_level, "debug") != 0 && strcmp(cfg->log_level, "info") != 0 &&
	    strcmp(cfg->log_level, "warn") != 0 && strcmp(cfg->log_level, "error") != 0) {
		snprintf(err, err_len, "KEYFIN_LOG_LEVEL: expected debug, info, warn or error");
		return -1;
	}
	return 0;
}

void config_print_help(FILE *out)
{
	fprintf(out, "Settings (environment variables, or lines `NAME = value` in the file\n"
		"named by KEYFIN_CONFIG; the environment wins):\n");
#ifdef KEYFIN_DEFAULT_CONFIG
	fprintf(out, "  (without KEYFIN_CONFIG: %s when it exists)\n", KEYFIN_DEFAULT_CONFIG);
#endif
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		const struct config_entry *e = &config_table[i];

		fprintf(out, "  %-28s %s\n  %-28s default: %s\n", e->env, e->doc, "",
			e->def == NULL ? "(computed)" : e->def[0] == '\0' ? "(empty)" : e->def);
	}
}
