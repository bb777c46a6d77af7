/*
 * token: API keys and session tokens.  A token is 16 random bytes printed
 * as 32 lowercase hex characters.  The database only ever sees
 *   - digest: keyed BLAKE2b-256 of the token (lookup, unique index), and
 *   - sealed: the API key encrypted with crypto_secretbox (nonce || box),
 *     so GET /Auth/Keys can show it; session tokens are never sealed.
 * Both keys are derived from one 32-byte server secret with crypto_kdf.
 *
 * Two secrets may be in force at once, to change the secret without a
 * moment where a key stops working: the first (current) one makes every
 * new digest and box; a token is looked up under both, and a box opens with
 * either.  `keyfin secret rotate` then re-seals the stored keys under the
 * current secret (see README, "Changing the server secret").
 */
#ifndef KEYFIN_TOKEN_H
#define KEYFIN_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

#define TOKEN_HEX_LEN 32
#define TOKEN_DIGEST_LEN 32
#define TOKEN_SECRET_HEX_LEN 64
#define TOKEN_SEALED_LEN \
	(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + TOKEN_HEX_LEN)

#define TOKEN_SECRETS_MAX 2
#define TOKEN_CHECK_LEN 32

struct token_keys {
	int count;                      /* secrets in force; [0] is the current one */
	struct {
		unsigned char digest_key[crypto_generichash_KEYBYTES];
		unsigned char seal_key[crypto_secretbox_KEYBYTES];
		/* a third sub-key, stored in the database (keyfin_server.secret_check)
		 * to tell whether a secret is the one its keys were made under */
		unsigned char check[TOKEN_CHECK_LEN];
	} set[TOKEN_SECRETS_MAX];
};

/* Derive the keys from one or two secrets of 64 hex characters each,
 * separated by white space or a comma (a file: one a line; `#` starts a
 * comment line).  Returns 0, or -1 with the reason in `err` (never the
 * secret itself). */
int token_keys_from_hex(struct token_keys *keys, const char *hex, size_t len,
			char *err, size_t err_len)
	__attribute__((warn_unused_result));

/* Read the secret from a file (refused if group or others may read it) or
 * from the value given; the file wins when both are set. */
int token_keys_load(struct token_keys *keys, const char *file, const char *value,
		    char *err, size_t err_len)
	__attribute__((warn_unused_result));

/* Which secret in force has this check value (sql/0008_secret_check.sql):
 * its index, or -1 for none. */
int token_check_match(const struct token_keys *keys, const unsigned char *check, size_t len);

/* A new random secret, as 64 hex characters and a NUL. */
void token_secret_generate(char out[TOKEN_SECRET_HEX_LEN + 1]);

/* A new random token, 32 lowercase hex characters and a NUL. */
void token_generate(char out[TOKEN_HEX_LEN + 1]);

/* True for exactly 32 lowercase hex characters: the only shape keyfin makes.
 * Anything else cannot match a stored token and needs no database query. */
bool token_is_wellformed(const char *s, size_t len);

/* The digest under the current secret. */
void token_digest(const struct token_keys *keys, const char *token, size_t len,
		  unsigned char out[TOKEN_DIGEST_LEN]);

/* The digest under every secret in force, current first; slots past
 * keys->count repeat the current one, so a query can always take two.
 * Returns how many differ (keys->count). */
int token_digests(const struct token_keys *keys, const char *token, size_t len,
		  unsigned char out[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN]);

void token_seal(const struct token_keys *keys, const char token[TOKEN_HEX_LEN],
		unsigned char out[TOKEN_SEALED_LEN]);

/* Returns which secret opened the box (0: the current one) and the token
 * (NUL-terminated), or -1 when the box is forged or sealed under a secret
 * no longer in force. */
int token_open(const struct token_keys *keys, const unsigned char *sealed,
	       size_t len, char out[TOKEN_HEX_LEN + 1])
	__attribute__((warn_unused_result));

/* token_open(), remembering what it opened: a box met again (the same
 * bytes) is not decrypted again.  For a long-lived process that opens the
 * same boxes over and over (GET /Auth/Keys); it keeps up to 2,048 keys in
 * guarded memory, and never one it was not asked to open. */
int token_open_remembered(const struct token_keys *keys, const unsigned char *sealed,
			  size_t len, char out[TOKEN_HEX_LEN + 1])
	__attribute__((warn_unused_result));

/* A short, safe-to-log handle for a token: its first four characters. */
void token_prefix(const char *token, char out[5]);

#endif
