/* Unit tests for src/config.c: defaults, parsing, refusals. */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyfin/config.h"

static const char *const vars[] = {
	"KEYFIN_DATABASE_URL", "DATABASE_URL", "KEYFIN_WORKERS", "KEYFIN_LEGACY_AUTHORIZATION",
	"KEYFIN_LOG_LEVEL", "KEYFIN_ACTIVITY_INTERVAL", "KEYFIN_USAGE_INTERVAL", "KEYFIN_LISTEN", "KEYFIN_CONFIG",
	"KEYFIN_UPSTREAM", "KEYFIN_UPSTREAM_KEY_FILE",
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int clean_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

static void test_defaults(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_true(cfg.legacy_authorization);
	assert_true(cfg.workers >= 1);
	assert_int_equal(cfg.activity_interval, 60);
	assert_int_equal(cfg.usage_interval, 60);
	assert_true(cfg.db_prepared);
	assert_string_equal(cfg.database_url, "");
	assert_string_equal(cfg.listen, "127.0.0.1:9000");
}

static void test_values(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	setenv("KEYFIN_LEGACY_AUTHORIZATION", "off", 1);
	setenv("KEYFIN_WORKERS", "7", 1);
	setenv("DATABASE_URL", "postgresql:///x", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_false(cfg.legacy_authorization);
	assert_int_equal(cfg.workers, 7);
	assert_string_equal(cfg.database_url, "postgresql:///x");
	setenv("KEYFIN_DATABASE_URL", "postgresql:///y", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.database_url, "postgresql:///y");
}

static void test_refusals_name_the_variable(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	setenv("KEYFIN_WORKERS", "0", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "KEYFIN_WORKERS"));
	setenv("KEYFIN_WORKERS", "4x", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	unsetenv("KEYFIN_WORKERS");
	setenv("KEYFIN_LEGACY_AUTHORIZATION", "maybe", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "KEYFIN_LEGACY_AUTHORIZATION"));
	unsetenv("KEYFIN_LEGACY_AUTHORIZATION");
	setenv("KEYFIN_LOG_LEVEL", "loud", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "KEYFIN_LOG_LEVEL"));
	unsetenv("KEYFIN_LOG_LEVEL");
}

/* Front mode: the upstream needs the key file; the key file alone is front
 * mode (the URL is nginx's). */
static void test_front_mode(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.upstream_key_file, "");
	setenv("KEYFIN_UPSTREAM", "http://jellyfin:8096", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "KEYFIN_UPSTREAM_KEY_FILE"));
	setenv("KEYFIN_UPSTREAM_KEY_FILE", "/run/secrets/jellyfin_api_key", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.upstream_key_file, "/run/secrets/jellyfin_api_key");
	unsetenv("KEYFIN_UPSTREAM");
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
}

static void test_config_file(void **state)
{
	char path[] = "/tmp/keyfin-test-conf-XXXXXX", err[256];
	struct config cfg;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "# keyfin settings\n\n  KEYFIN_WORKERS = 3\n"
		   "KEYFIN_LISTEN=unix:/run/keyfin.sock  \nKEYFIN_LEGACY_AUTHORIZATION = off\n");
	setenv("KEYFIN_CONFIG", path, 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.workers, 3);
	assert_string_equal(cfg.listen, "unix:/run/keyfin.sock");
	assert_false(cfg.legacy_authorization);
	/* the environment wins over the file */
	setenv("KEYFIN_WORKERS", "5", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.workers, 5);
	unsetenv("KEYFIN_WORKERS");
	/* a typo is an error that names the line */
	write_file(path, "KEYFIN_WORKERS = 2\nKEYFIN_WORKRES = 3\n");
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: unknown setting KEYFIN_WORKRES"));
	write_file(path, "just words\n");
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: expected NAME = value"));
	/* values from the file are checked like the environment's */
	write_file(path, "KEYFIN_WORKERS = many\n");
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "KEYFIN_WORKERS"));
	unlink(path);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clean_env),
		cmocka_unit_test_setup(test_values, clean_env),
		cmocka_unit_test_setup(test_refusals_name_the_variable, clean_env),
		cmocka_unit_test_setup(test_front_mode, clean_env),
		cmocka_unit_test_setup(test_config_file, clean_env),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
