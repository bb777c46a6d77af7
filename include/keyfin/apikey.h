/*
 * apikey: create and revoke API keys: shared by the HTTP handlers and the
 * command line, so both make keys the same way.
 */
#ifndef KEYFIN_APIKEY_H
#define KEYFIN_APIKEY_H

#include "keyfin/store.h"
#include "keyfin/token.h"

/* Bytes of an app name looked at before it is refused as too long. */
#define APIKEY_NAME_INPUT_MAX 1024

enum apikey_name_check {
	APIKEY_NAME_OK = 0,
	APIKEY_NAME_MISSING,    /* empty or whitespace only */
	APIKEY_NAME_TOO_LONG,
	APIKEY_NAME_NOT_TEXT,   /* invalid UTF-8, NUL or control characters */
};

/* The one check of an app name, for every way a key is made (POST
 * /Auth/Keys, POST /keyfin/v1/keys, `keyfin key create`): `given` is the
 * name as it came (`len` bytes, NULs counted; NULL when none came).  When
 * it is good it is copied to `name` (not `given`'s buffer), cut to
 * STORE_APP_MAX characters (Jellyfin's column size). */
enum apikey_name_check apikey_take_name(const char *given, size_t len,
					char name[APIKEY_NAME_INPUT_MAX + 1]);
/* The answer to give for a name that is not OK. */
const char *apikey_name_problem(enum apikey_name_check check);

/* A new key: the token (shown to the client once), its digest (looked up),
 * its box (listed) and its first characters (logged). */
struct apikey_new {
	char token[TOKEN_HEX_LEN + 1];
	char prefix[5];
	unsigned char digest[TOKEN_DIGEST_LEN];
	unsigned char sealed[TOKEN_SEALED_LEN];
};

/* Make a key under the current secret; the caller stores it (with no box
 * when hash-only) and wipes `k` with sodium_memzero when done. */
void apikey_make(const struct token_keys *keys, struct apikey_new *k);

/* Make a key for the (checked) `name`; the key is written to `token_out`
 * (which the caller wipes when done) only once it is stored. */
/* `hash_only`: keep no box, only the digest (KEYFIN_HASH_ONLY). */
enum store_status apikey_create(const struct token_keys *keys, struct store *s,
				const char *name, const struct store_actor *by, bool hash_only,
				char token_out[TOKEN_HEX_LEN + 1], int64_t *created_us);

/* Revoke `key`; a key that does not exist is already revoked (STORE_OK). */
enum store_status apikey_revoke(const struct token_keys *keys, struct store *s,
				const char *key, const struct store_actor *by);

/* After a change of secret: give every stored key the current secret's
 * digest and box.  Keys already under it are left alone; keys that cannot
 * be opened (hash-only ones, which have no box, or boxes of a secret no
 * longer given) are counted in `unopenable` and left alone too. */
enum store_status apikey_reseal_all(const struct token_keys *keys, struct store *s,
				    int *resealed, int *unopenable);

#endif
