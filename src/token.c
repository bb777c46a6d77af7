#include "keyfin/token.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "keyfin/privfile.h"

/* crypto_kdf sub-key ids and context: changing them invalidates every key. */
#define TOKEN_KDF_CONTEXT "keyfin01"
#define TOKEN_KDF_DIGEST 1
#define TOKEN_KDF_SEAL 2
#define TOKEN_KDF_CHECK 3

/* One secret of exactly 64 hex characters into set `i` of `keys`. */
static int derive(struct token_keys *keys, int i, const char *hex, size_t len)
{
	unsigned char master[crypto_kdf_KEYBYTES];
	size_t bin_len = 0;
	int rc = -1;

	if (len == TOKEN_SECRET_HEX_LEN &&
	    sodium_hex2bin(master, sizeof(master), hex, len, NULL, &bin_len, NULL) == 0 &&
	    bin_len == sizeof(master)) {
		crypto_kdf_derive_from_key(keys->set[i].digest_key, sizeof(keys->set[i].digest_key),
					   TOKEN_KDF_DIGEST, TOKEN_KDF_CONTEXT, master);
		crypto_kdf_derive_from_key(keys->set[i].seal_key, sizeof(keys->set[i].seal_key),
					   TOKEN_KDF_SEAL, TOKEN_KDF_CONTEXT, master);
		crypto_kdf_derive_from_key(keys->set[i].check, sizeof(keys->set[i].check),
					   TOKEN_KDF_CHECK, TOKEN_KDF_CONTEXT, master);
		rc = 0;
	}
	sodium_memzero(master, sizeof(master));
	return rc;
}

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',';
}

int token_keys_from_hex(struct token_keys *keys, const char *hex, size_t len,
			char *err, size_t err_len)
{
	size_t i = 0;

	/* all of it: the slots of secrets not given are compared whole too
	 * (token_open_remembered), and a reload's copy comes from the stack */
	sodium_memzero(keys, sizeof(*keys));
	while (i < len) {
		size_t start;

		if (is_separator(hex[i])) {
			i++;
			continue;
		}
		if (hex[i] == '#') {            /* a comment, to the end of the line */
			while (i < len && hex[i] != '\n')
				i++;
			continue;
		}
		start = i;
		while (i < len && !is_separator(hex[i]))
			i++;
		if (keys->count == TOKEN_SECRETS_MAX) {
			snprintf(err, err_len, "at most %d server secrets may be in force at once",
				 TOKEN_SECRETS_MAX);
			goto failed;
		}
		if (derive(keys, keys->count, hex + start, i - start) != 0) {
			snprintf(err, err_len, "a server secret must be %d hex characters "
				 "(make one with `keyfin secret generate`)", TOKEN_SECRET_HEX_LEN);
			goto failed;
		}
		keys->count++;
	}
	if (keys->count == 0) {
		snprintf(err, err_len, "the server secret is empty (make one with "
			 "`keyfin secret generate`)");
		goto failed;
	}
	return 0;

failed:
	sodium_memzero(keys, sizeof(*keys));
	return -1;
}

int token_check_match(const struct token_keys *keys, const unsigned char *check, size_t len)
{
	if (len != TOKEN_CHECK_LEN)
		return -1;
	for (int i = 0; i < keys->count; i++)
		if (sodium_memcmp(keys->set[i].check, check, len) == 0)
			return i;
	return -1;
}

int token_keys_load(struct token_keys *keys, const char *file, const char *value,
		    char *err, size_t err_len)
{
	char buf[1024];
	ssize_t n;
	int rc;

	if (file == NULL || file[0] == '\0') {
		if (value == NULL || value[0] == '\0') {
			snprintf(err, err_len, "no server secret: set KEYFIN_SECRET_FILE "
				 "(or KEYFIN_SECRET)");
			return -1;
		}
		return token_keys_from_hex(keys, value, strlen(value), err, err_len);
	}
	n = privfile_read(file, "secret file", buf, sizeof(buf), err, err_len);
	if (n < 0)
		return -1;
	rc = token_keys_from_hex(keys, buf, (size_t)n, err, err_len);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

void token_secret_generate(char out[TOKEN_SECRET_HEX_LEN + 1])
{
	unsigned char raw[TOKEN_SECRET_HEX_LEN / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, TOKEN_SECRET_HEX_LEN + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

void token_generate(char out[TOKEN_HEX_LEN + 1])
{
	unsigned char raw[TOKEN_HEX_LEN / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, TOKEN_HEX_LEN + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

bool token_is_wellformed(const char *s, size_t len)
{
	if (len != TOKEN_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void token_digest(const struct token_keys *keys, const char *token, size_t len,
		  unsigned char out[TOKEN_DIGEST_LEN])
{
	crypto_generichash(out, TOKEN_DIGEST_LEN, (const unsigned char *)token, len,
			   keys->set[0].digest_key, sizeof(keys->set[0].digest_key));
}

int token_digests(const struct token_keys *keys, const char *token, size_t len,
		  unsigned char out[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN])
{
	for (int i = 0; i < TOKEN_SECRETS_MAX; i++) {
		if (i >= keys->count) {
			memcpy(out[i], out[0], TOKEN_DIGEST_LEN);
			continue;
		}
		crypto_generichash(out[i], TOKEN_DIGEST_LEN, (const unsigned char *)token, len,
				   keys->set[i].digest_key, sizeof(keys->set[0].digest_key));
	}
	return keys->count;
}

void token_seal(const struct token_keys *keys, const char token[TOKEN_HEX_LEN],
		unsigned char out[TOKEN_SEALED_LEN])
{
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
			      (const unsigned char *)token, TOKEN_HEX_LEN, out,
			      keys->set[0].seal_key);
}

int token_open(const struct token_keys *keys, const unsigned char *sealed,
	       size_t len, char out[TOKEN_HEX_LEN + 1])
{
	if (len != TOKEN_SEALED_LEN)
		return -1;
	for (int i = 0; i < keys->count; i++) {
		if (crypto_secretbox_open_easy((unsigned char *)out,
					       sealed + crypto_secretbox_NONCEBYTES,
					       len - crypto_secretbox_NONCEBYTES, sealed,
					       keys->set[i].seal_key) == 0) {
			out[TOKEN_HEX_LEN] = '\0';
			return i;
		}
	}
	return -1;
}

/*
 * A process's memory of the boxes it opened: GET /Auth/Keys opens every
 * box of the list each time, at 350 ns each (a sixth of a worker's time
 * for 50 keys).  The same box bytes always hold the same key, so a box met
 * again is answered from here after a comparison of all its bytes.  The
 * slot is picked by the box's random nonce.  Other keys than those it was
 * filled with empty it.  It is sodium_malloc'd: kept out of swap and core
 * dumps like the secret that opens every box, which this process holds
 * anyway.
 */
#define TOKEN_OPENED_SLOTS 2048

struct token_opened {
	unsigned char sealed[TOKEN_SEALED_LEN];
	char token[TOKEN_HEX_LEN];
	int secret;                     /* which secret opened it; -1: empty */
};

struct token_opened_table {
	struct token_keys keys;         /* what opened them */
	struct token_opened slot[TOKEN_OPENED_SLOTS];
};

int token_open_remembered(const struct token_keys *keys, const unsigned char *sealed,
			  size_t len, char out[TOKEN_HEX_LEN + 1])
{
	static struct token_opened_table *table;
	struct token_opened *slot;
	uint32_t h;
	int opened;

	if (len != TOKEN_SEALED_LEN)
		return -1;
	if (table == NULL && (table = sodium_malloc(sizeof(*table))) != NULL)
		table->keys.count = -1;
	if (table == NULL)
		return token_open(keys, sealed, len, out);
	/* plain memcmp below: neither side comes from a client, so timing
	 * tells nobody anything (sodium_memcmp here was a fifth of a list) */
	if (table->keys.count != keys->count ||
	    memcmp(&table->keys.set, &keys->set, sizeof(keys->set)) != 0) {
		table->keys = *keys;
		for (int i = 0; i < TOKEN_OPENED_SLOTS; i++)
			table->slot[i].secret = -1;
	}
	memcpy(&h, sealed, sizeof(h));
	slot = &table->slot[h % TOKEN_OPENED_SLOTS];
	if (slot->secret >= 0 && memcmp(slot->sealed, sealed, TOKEN_SEALED_LEN) == 0) {
		memcpy(out, slot->token, TOKEN_HEX_LEN);
		out[TOKEN_HEX_LEN] = '\0';
		return slot->secret;
	}
	opened = token_open(keys, sealed, len, out);
	if (opened >= 0) {
		memcpy(slot->sealed, sealed, TOKEN_SEALED_LEN);
		memcpy(slot->token, out, TOKEN_HEX_LEN);
		slot->secret = opened;
	}
	return opened;
}

void token_prefix(const char *token, char out[5])
{
	memcpy(out, token, 4);
	out[4] = '\0';
}
