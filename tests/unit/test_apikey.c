/*
 * Unit tests for src/apikey.c: the one app-name check every way of making
 * a key goes through, and the one way a key is made.  The store is
 * replaced by stubs that record what they were given.
 */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/apikey.h"
#include "keyfin/log.h"

static const char secret[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/* What the last store_key_insert was given, and what it answers. */
static struct {
	enum store_status answer;
	char app_name[APIKEY_NAME_INPUT_MAX + 1];
	unsigned char digest[TOKEN_DIGEST_LEN];
	bool sealed_given;
	unsigned char sealed[TOKEN_SEALED_LEN];
	char prefix[5];
} inserted;

enum store_status store_key_insert(struct store *s, const char *app_name,
				   const unsigned char digest[TOKEN_DIGEST_LEN],
				   const unsigned char sealed[TOKEN_SEALED_LEN],
				   const char *prefix, const struct store_actor *by,
				   const struct store_key_options *o, struct store_key_info *out)
{
	(void)s;
	(void)by;
	(void)o;
	snprintf(inserted.app_name, sizeof(inserted.app_name), "%s", app_name);
	memcpy(inserted.digest, digest, TOKEN_DIGEST_LEN);
	inserted.sealed_given = sealed != NULL;
	if (sealed != NULL)
		memcpy(inserted.sealed, sealed, TOKEN_SEALED_LEN);
	snprintf(inserted.prefix, sizeof(inserted.prefix), "%s", prefix);
	out->created_us = 1795428000000000LL;
	return inserted.answer;
}

/* Not called by these tests; apikey.c needs them to link. */
enum store_status store_key_delete(struct store *s,
				   const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				   const char *prefix, const struct store_actor *by)
{
	(void)s;
	(void)digests;
	(void)prefix;
	(void)by;
	return STORE_ERROR;
}

enum store_status store_key_list(struct store *s,
				 int (*each)(const struct store_key *key, void *ctx),
				 void *ctx, int64_t *version)
{
	(void)s;
	(void)each;
	(void)ctx;
	(void)version;
	return STORE_ERROR;
}

enum store_status store_key_reseal(struct store *s, int64_t id,
				   const unsigned char old_digest[TOKEN_DIGEST_LEN],
				   const unsigned char digest[TOKEN_DIGEST_LEN],
				   const unsigned char sealed[TOKEN_SEALED_LEN])
{
	(void)s;
	(void)id;
	(void)old_digest;
	(void)digest;
	(void)sealed;
	return STORE_ERROR;
}

static void load(struct token_keys *keys)
{
	char err[256];

	assert_int_equal(token_keys_from_hex(keys, secret, strlen(secret), err, sizeof(err)), 0);
}

static enum apikey_name_check take(const char *given, char name[APIKEY_NAME_INPUT_MAX + 1])
{
	return apikey_take_name(given, given != NULL ? strlen(given) : 0, name);
}

static void test_name_good(void **state)
{
	char name[APIKEY_NAME_INPUT_MAX + 1];

	(void)state;
	assert_int_equal(take("Sonarr", name), APIKEY_NAME_OK);
	assert_string_equal(name, "Sonarr");
	/* inner and outer spaces are kept: Jellyfin keeps them */
	assert_int_equal(take(" my app ", name), APIKEY_NAME_OK);
	assert_string_equal(name, " my app ");
	assert_int_equal(take("H\xc3\xb6rb\xc3\xbc" "cher", name), APIKEY_NAME_OK);
	assert_string_equal(name, "H\xc3\xb6rb\xc3\xbc" "cher");
}

static void test_name_refused(void **state)
{
	char name[APIKEY_NAME_INPUT_MAX + 1];

	(void)state;
	assert_int_equal(take(NULL, name), APIKEY_NAME_MISSING);
	assert_int_equal(take("", name), APIKEY_NAME_MISSING);
	assert_int_equal(take(" \t\r\n", name), APIKEY_NAME_MISSING);
	assert_int_equal(take("a\tb", name), APIKEY_NAME_NOT_TEXT);
	assert_int_equal(take("a\x7f", name), APIKEY_NAME_NOT_TEXT);
	assert_int_equal(take("\xc3(", name), APIKEY_NAME_NOT_TEXT);
	/* a NUL inside (from %00 in a query) counts, and is refused */
	assert_int_equal(apikey_take_name("ab\0cd", 5, name), APIKEY_NAME_NOT_TEXT);
	assert_string_equal(apikey_name_problem(APIKEY_NAME_MISSING), "The app name is required.");
	assert_string_equal(apikey_name_problem(APIKEY_NAME_NOT_TEXT),
			    "The app name must be UTF-8 text without control characters.");
}

/* APIKEY_NAME_INPUT_MAX bytes are looked at; one more is too long, and
 * what is too long is refused before it is copied (the length alone). */
static void test_name_lengths(void **state)
{
	static char big[APIKEY_NAME_INPUT_MAX + 2];
	char name[APIKEY_NAME_INPUT_MAX + 1];

	(void)state;
	memset(big, 'a', APIKEY_NAME_INPUT_MAX);
	big[APIKEY_NAME_INPUT_MAX] = '\0';
	assert_int_equal(take(big, name), APIKEY_NAME_OK);
	assert_int_equal(strlen(name), STORE_APP_MAX);
	big[APIKEY_NAME_INPUT_MAX] = 'a';
	big[APIKEY_NAME_INPUT_MAX + 1] = '\0';
	assert_int_equal(take(big, name), APIKEY_NAME_TOO_LONG);
	assert_int_equal(apikey_take_name(big, (size_t)-2, name), APIKEY_NAME_TOO_LONG);
	assert_string_equal(apikey_name_problem(APIKEY_NAME_TOO_LONG), "The app name is too long.");
}

/* Cut to STORE_APP_MAX characters, never inside one. */
static void test_name_cut(void **state)
{
	char given[STORE_APP_MAX * 2 + 8], name[APIKEY_NAME_INPUT_MAX + 1];

	(void)state;
	memset(given, 'x', STORE_APP_MAX);
	given[STORE_APP_MAX] = '\0';
	assert_int_equal(take(given, name), APIKEY_NAME_OK);
	assert_string_equal(name, given);
	for (int i = 0; i < STORE_APP_MAX + 1; i++)
		memcpy(given + 2 * i, "\xc3\xa9", 2);           /* 65 times e-acute */
	given[2 * (STORE_APP_MAX + 1)] = '\0';
	assert_int_equal(take(given, name), APIKEY_NAME_OK);
	assert_int_equal(strlen(name), 2 * STORE_APP_MAX);
	assert_memory_equal(name, given, 2 * STORE_APP_MAX);
}

/* A key: 32 hex, its digest under the current secret, a box that opens
 * to it, its first four characters. */
static void test_make(void **state)
{
	struct token_keys keys;
	struct apikey_new a, b;
	unsigned char digest[TOKEN_DIGEST_LEN];
	char opened[TOKEN_HEX_LEN + 1];

	(void)state;
	load(&keys);
	apikey_make(&keys, &a);
	apikey_make(&keys, &b);
	assert_true(token_is_wellformed(a.token, strlen(a.token)));
	assert_string_not_equal(a.token, b.token);
	token_digest(&keys, a.token, TOKEN_HEX_LEN, digest);
	assert_memory_equal(a.digest, digest, TOKEN_DIGEST_LEN);
	assert_int_equal(token_open(&keys, a.sealed, TOKEN_SEALED_LEN, opened), 0);
	assert_string_equal(opened, a.token);
	assert_int_equal(strlen(a.prefix), 4);
	assert_memory_equal(a.prefix, a.token, 4);
}

/* apikey_create stores what apikey_make makes, and hands the key out only
 * once it is stored. */
static void test_create(void **state)
{
	struct token_keys keys;
	struct store_actor by = { "admin", NULL, "", "" };
	char token[TOKEN_HEX_LEN + 1] = "untouched";
	unsigned char digest[TOKEN_DIGEST_LEN];
	char opened[TOKEN_HEX_LEN + 1];
	int64_t created = 0;

	(void)state;
	load(&keys);
	inserted.answer = STORE_OK;
	assert_int_equal(apikey_create(&keys, NULL, "Sonarr", &by, false, token, &created),
			 STORE_OK);
	assert_string_equal(inserted.app_name, "Sonarr");
	token_digest(&keys, token, TOKEN_HEX_LEN, digest);
	assert_memory_equal(inserted.digest, digest, TOKEN_DIGEST_LEN);
	assert_true(inserted.sealed_given);
	assert_int_equal(token_open(&keys, inserted.sealed, TOKEN_SEALED_LEN, opened), 0);
	assert_string_equal(opened, token);
	assert_memory_equal(inserted.prefix, token, 4);
	assert_true(created > 0);
	/* hash-only: no box goes to the store */
	assert_int_equal(apikey_create(&keys, NULL, "Radarr", &by, true, token, &created),
			 STORE_OK);
	assert_false(inserted.sealed_given);
	/* not stored: no key comes out */
	inserted.answer = STORE_UNAVAILABLE;
	strcpy(token, "untouched");
	assert_int_equal(apikey_create(&keys, NULL, "Lidarr", &by, false, token, &created),
			 STORE_UNAVAILABLE);
	assert_string_equal(token, "untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_good),
		cmocka_unit_test(test_name_refused),
		cmocka_unit_test(test_name_lengths),
		cmocka_unit_test(test_name_cut),
		cmocka_unit_test(test_make),
		cmocka_unit_test(test_create),
	};

	log_set_level("error");
	return cmocka_run_group_tests_name("apikey", tests, NULL, NULL);
}
