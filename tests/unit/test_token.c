/* Unit tests for src/token.c: generation, digest, seal/open, secrets. */
#include "cmocka_prelude.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfin/token.h"

static const char secret_a[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char secret_b[] =
	"ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static void load(struct token_keys *keys, const char *hex)
{
	char err[256];

	assert_int_equal(token_keys_from_hex(keys, hex, strlen(hex), err, sizeof(err)), 0);
}

static void test_generate_shape_and_uniqueness(void **state)
{
	char a[TOKEN_HEX_LEN + 1], b[TOKEN_HEX_LEN + 1];

	(void)state;
	token_generate(a);
	token_generate(b);
	assert_int_equal(strlen(a), 32);
	assert_true(token_is_wellformed(a, strlen(a)));
	assert_string_not_equal(a, b);
}

static void test_wellformed(void **state)
{
	(void)state;
	assert_true(token_is_wellformed("0123456789abcdef0123456789abcdef", 32));
	assert_false(token_is_wellformed("0123456789ABCDEF0123456789abcdef", 32));
	assert_false(token_is_wellformed("0123456789abcdef0123456789abcde", 31));
	assert_false(token_is_wellformed("0123456789abcdef0123456789abcdeg", 32));
	assert_false(token_is_wellformed("0123456789abcdef0123456789abcde\0", 32));
	assert_false(token_is_wellformed("", 0));
}

static void test_digest_is_keyed_and_stable(void **state)
{
	struct token_keys a, b;
	unsigned char d1[TOKEN_DIGEST_LEN], d2[TOKEN_DIGEST_LEN], d3[TOKEN_DIGEST_LEN];
	const char *tok = "0123456789abcdef0123456789abcdef";

	(void)state;
	load(&a, secret_a);
	load(&b, secret_b);
	token_digest(&a, tok, 32, d1);
	token_digest(&a, tok, 32, d2);
	token_digest(&b, tok, 32, d3);
	assert_memory_equal(d1, d2, sizeof(d1));
	assert_memory_not_equal(d1, d3, sizeof(d1));
}

static void test_seal_open_roundtrip(void **state)
{
	struct token_keys keys, other;
	unsigned char sealed[TOKEN_SEALED_LEN], again[TOKEN_SEALED_LEN];
	char out[TOKEN_HEX_LEN + 1];
	const char *tok = "0123456789abcdef0123456789abcdef";

	(void)state;
	load(&keys, secret_a);
	load(&other, secret_b);
	token_seal(&keys, tok, sealed);
	token_seal(&keys, tok, again);
	/* a fresh nonce each time: equal keys do not give equal boxes */
	assert_memory_not_equal(sealed, again, sizeof(sealed));
	/* the plain key is nowhere in the box */
	assert_null(memmem(sealed, sizeof(sealed), tok, 32));
	assert_int_equal(token_open(&keys, sealed, sizeof(sealed), out), 0);
	assert_string_equal(out, tok);
	assert_int_equal(token_open(&other, sealed, sizeof(sealed), out), -1);
	sealed[TOKEN_SEALED_LEN - 1] ^= 1;
	assert_int_equal(token_open(&keys, sealed, sizeof(sealed), out), -1);
	assert_int_equal(token_open(&keys, sealed, sizeof(sealed) - 1, out), -1);
}

static void test_secret_parsing(void **state)
{
	struct token_keys keys;
	char err[256], generated[TOKEN_SECRET_HEX_LEN + 1], padded[100];

	(void)state;
	token_secret_generate(generated);
	assert_int_equal(strlen(generated), 64);
	snprintf(padded, sizeof(padded), "  %s\n", generated);
	assert_int_equal(token_keys_from_hex(&keys, padded, strlen(padded), err, sizeof(err)), 0);
	assert_int_equal(token_keys_from_hex(&keys, "abc", 3, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "64 hex"));
	assert_int_equal(token_keys_from_hex(&keys, secret_a, 63, err, sizeof(err)), -1);
	/* the error never echoes the secret */
	assert_null(strstr(err, "0001020304"));
}

static void test_secret_file_permissions(void **state)
{
	struct token_keys keys;
	char path[] = "/tmp/keyfin-test-secret-XXXXXX", err[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, secret_a, 64), 64);
	close(fd);
	chmod(path, 0600);
	assert_int_equal(token_keys_load(&keys, path, NULL, err, sizeof(err)), 0);
	chmod(path, 0644);
	assert_int_equal(token_keys_load(&keys, path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	unlink(path);
	assert_int_equal(token_keys_load(&keys, path, NULL, err, sizeof(err)), -1);
	assert_int_equal(token_keys_load(&keys, NULL, secret_a, err, sizeof(err)), 0);
	assert_int_equal(token_keys_load(&keys, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "KEYFIN_SECRET_FILE"));
}

static void test_two_secrets(void **state)
{
	struct token_keys a, b, ab, ba;
	unsigned char sealed_a[TOKEN_SEALED_LEN], sealed_b[TOKEN_SEALED_LEN];
	unsigned char da[TOKEN_DIGEST_LEN], db[TOKEN_DIGEST_LEN];
	unsigned char both[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN];
	char out[TOKEN_HEX_LEN + 1], text[200], err[256];
	const char *tok = "0123456789abcdef0123456789abcdef";

	(void)state;
	load(&a, secret_a);
	load(&b, secret_b);
	snprintf(text, sizeof(text), "# new first\n%s\n%s\n", secret_b, secret_a);
	assert_int_equal(token_keys_from_hex(&ba, text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(ba.count, 2);
	snprintf(text, sizeof(text), "%s,%s", secret_a, secret_b);
	assert_int_equal(token_keys_from_hex(&ab, text, strlen(text), err, sizeof(err)), 0);
	/* the first secret is the current one: it digests and seals */
	token_digest(&a, tok, 32, da);
	token_digest(&b, tok, 32, db);
	token_digests(&ba, tok, 32, both);
	assert_memory_equal(both[0], db, TOKEN_DIGEST_LEN);
	assert_memory_equal(both[1], da, TOKEN_DIGEST_LEN);
	token_digests(&a, tok, 32, both);       /* one secret: the slot repeats it */
	assert_memory_equal(both[1], da, TOKEN_DIGEST_LEN);
	/* a box opens with either, and says which */
	token_seal(&a, tok, sealed_a);
	token_seal(&b, tok, sealed_b);
	assert_int_equal(token_open(&ba, sealed_b, sizeof(sealed_b), out), 0);
	assert_int_equal(token_open(&ba, sealed_a, sizeof(sealed_a), out), 1);
	assert_string_equal(out, tok);
	assert_int_equal(token_open(&b, sealed_a, sizeof(sealed_a), out), -1);
	/* three is one too many; junk between them is refused */
	snprintf(text, sizeof(text), "%s %s %s", secret_a, secret_b, secret_a);
	assert_int_equal(token_keys_from_hex(&ab, text, strlen(text), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at most 2"));
	snprintf(text, sizeof(text), "%s x %s", secret_a, secret_b);
	assert_int_equal(token_keys_from_hex(&ab, text, strlen(text), err, sizeof(err)), -1);
	snprintf(text, sizeof(text), "\n# only a comment\n");
	assert_int_equal(token_keys_from_hex(&ab, text, strlen(text), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
}

/* A box seen again is answered from memory; a box that differs in any
 * byte is opened (and refused) for real, even where it shares a slot. */
static void test_open_remembered(void **state)
{
	struct token_keys a, b;
	unsigned char box[TOKEN_SEALED_LEN], twin[TOKEN_SEALED_LEN];
	char out[TOKEN_HEX_LEN + 1];
	const char *tok = "00112233445566778899aabbccddeeff";
	const char *other = "ffeeddccbbaa99887766554433221100";

	(void)state;
	load(&a, secret_a);
	load(&b, secret_b);
	token_seal(&a, tok, box);
	for (int i = 0; i < 3; i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(token_open_remembered(&a, box, sizeof(box), out), 0);
		assert_string_equal(out, tok);
	}
	/* tampered: the remembered box must not answer for it */
	memcpy(twin, box, sizeof(box));
	twin[sizeof(twin) - 1] ^= 1;
	assert_int_equal(token_open_remembered(&a, twin, sizeof(twin), out), -1);
	/* the same nonce start (the same slot), another key: its own answer */
	memcpy(twin, box, crypto_secretbox_NONCEBYTES);
	twin[crypto_secretbox_NONCEBYTES - 1] ^= 1;
	crypto_secretbox_easy(twin + crypto_secretbox_NONCEBYTES, (const unsigned char *)other,
			      TOKEN_HEX_LEN, twin, a.set[0].seal_key);
	assert_int_equal(token_open_remembered(&a, twin, sizeof(twin), out), 0);
	assert_string_equal(out, other);
	assert_int_equal(token_open_remembered(&a, box, sizeof(box), out), 0);
	assert_string_equal(out, tok);
	/* remembered under one secret, asked with keys that cannot open it */
	assert_int_equal(token_open_remembered(&b, box, sizeof(box), out), -1);
	assert_int_equal(token_open_remembered(&a, box, 10, out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_shape_and_uniqueness),
		cmocka_unit_test(test_wellformed),
		cmocka_unit_test(test_digest_is_keyed_and_stable),
		cmocka_unit_test(test_seal_open_roundtrip),
		cmocka_unit_test(test_secret_parsing),
		cmocka_unit_test(test_secret_file_permissions),
		cmocka_unit_test(test_two_secrets),
		cmocka_unit_test(test_open_remembered),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
