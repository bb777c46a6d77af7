#include "keyfin/apikey.h"

#include <stdlib.h>
#include <string.h>

#include "keyfin/log.h"
#include "keyfin/throttle.h"
#include "keyfin/text.h"

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* The check of `name` (len bytes), cut in place. */
static enum apikey_name_check check_name(char *name, size_t len)
{
	size_t chars = 0;

	if (len > APIKEY_NAME_INPUT_MAX)
		return APIKEY_NAME_TOO_LONG;
	if (is_blank(name, len))
		return APIKEY_NAME_MISSING;
	if (!text_is_clean(name, len))
		return APIKEY_NAME_NOT_TEXT;
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)name[i] & 0xc0) != 0x80 && chars++ == STORE_APP_MAX) {
			name[i] = '\0';
			break;
		}
	}
	return APIKEY_NAME_OK;
}

enum apikey_name_check apikey_take_name(const char *given, size_t len,
					char name[APIKEY_NAME_INPUT_MAX + 1])
{
	if (given == NULL)
		return APIKEY_NAME_MISSING;
	/* before the copy: `name` holds no more */
	if (len > APIKEY_NAME_INPUT_MAX)
		return APIKEY_NAME_TOO_LONG;
	memcpy(name, given, len);
	name[len] = '\0';
	return check_name(name, len);
}

const char *apikey_name_problem(enum apikey_name_check check)
{
	switch (check) {
	case APIKEY_NAME_OK:
		return "";
	case APIKEY_NAME_MISSING:
		return "The app name is required.";
	case APIKEY_NAME_TOO_LONG:
		return "The app name is too long.";
	case APIKEY_NAME_NOT_TEXT:
		return "The app name must be UTF-8 text without control characters.";
	}
	return "";
}

void apikey_make(const struct token_keys *keys, struct apikey_new *k)
{
	token_generate(k->token);
	token_digest(keys, k->token, TOKEN_HEX_LEN, k->digest);
	token_seal(keys, k->token, k->sealed);
	token_prefix(k->token, k->prefix);
}

enum store_status apikey_create(const struct token_keys *keys, struct store *s,
				const char *name, const struct store_actor *by, bool hash_only,
				char token_out[TOKEN_HEX_LEN + 1], int64_t *created_us)
{
	static struct store_key_info made;      /* 5 KiB: not on the stack */
	struct apikey_new k;
	enum store_status st;

	apikey_make(keys, &k);
	st = store_key_insert(s, name, k.digest, hash_only ? NULL : k.sealed, k.prefix, by,
			      NULL, &made);
	*created_us = st == STORE_OK ? made.created_us : 0;
	if (st == STORE_OK) {
		throttle_good(k.digest, true);  /* its first use is never throttled */
		memcpy(token_out, k.token, sizeof(k.token));
		log_msg(LOG_INFO, "key_created", "key %s... created", k.prefix);
	}
	sodium_memzero(&k, sizeof(k));
	return st;
}

enum store_status apikey_revoke(const struct token_keys *keys, struct store *s,
				const char *key, const struct store_actor *by)
{
	unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN];
	size_t len = strlen(key);
	enum store_status st;
	char prefix[5];

	/* Only something shaped like a key can be one; the rest is already gone. */
	if (!token_is_wellformed(key, len))
		return STORE_OK;
	token_digests(keys, key, len, digests);
	token_prefix(key, prefix);
	st = store_key_delete(s, digests, prefix, by);
	if (st == STORE_OK) {
		log_msg(LOG_INFO, "key_revoked", "key %s... revoked", prefix);
	}
	return st;
}

/* A key to re-seal, worked out while the list is read (the connection is
 * busy then) and stored after. */
struct reseal {
	int64_t id;
	unsigned char old_digest[TOKEN_DIGEST_LEN], digest[TOKEN_DIGEST_LEN];
	unsigned char sealed[TOKEN_SEALED_LEN];
};

struct reseal_ctx {
	const struct token_keys *keys;
	struct reseal *todo;
	size_t count, cap;
	int unopenable;
	bool out_of_memory;
};

static int reseal_one(const struct store_key *key, void *arg)
{
	struct reseal_ctx *ctx = arg;
	char token[TOKEN_HEX_LEN + 1];
	int opened = token_open(ctx->keys, key->sealed, key->sealed_len, token);
	struct reseal *r;

	if (opened < 0) {       /* hash-only, or sealed under a secret gone */
		ctx->unopenable++;
		return 0;
	}
	if (ctx->count == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 64;
		struct reseal *grown = realloc(ctx->todo, cap * sizeof(*grown));

		if (grown == NULL) {
			sodium_memzero(token, sizeof(token));
			ctx->out_of_memory = true;
			return 1;
		}
		ctx->todo = grown;
		ctx->cap = cap;
	}
	r = &ctx->todo[ctx->count];
	token_digest(ctx->keys, token, TOKEN_HEX_LEN, r->digest);
	if (opened == 0 && sodium_memcmp(r->digest, key->digest, sizeof(r->digest)) == 0) {
		sodium_memzero(token, sizeof(token));
		return 0;       /* already under the current secret */
	}
	r->id = key->id;
	memcpy(r->old_digest, key->digest, sizeof(r->old_digest));
	token_seal(ctx->keys, token, r->sealed);
	sodium_memzero(token, sizeof(token));
	ctx->count++;
	return 0;
}

enum store_status apikey_reseal_all(const struct token_keys *keys, struct store *s,
				    int *resealed, int *unopenable)
{
	struct reseal_ctx ctx = { keys, NULL, 0, 0, 0, false };
	enum store_status st = store_key_list(s, reseal_one, &ctx, NULL);

	*resealed = 0;
	if (st == STORE_OK && ctx.out_of_memory)
		st = STORE_ERROR;
	for (size_t i = 0; st == STORE_OK && i < ctx.count; i++) {
		const struct reseal *r = &ctx.todo[i];
		enum store_status one = store_key_reseal(s, r->id, r->old_digest, r->digest,
							 r->sealed);

		if (one == STORE_OK)
			(*resealed)++;
		else if (one != STORE_NOT_FOUND)        /* revoked meanwhile: nothing to do */
			st = one;
	}
	*unopenable = ctx.unopenable;
	if (ctx.todo != NULL)
		sodium_memzero(ctx.todo, ctx.cap * sizeof(*ctx.todo));
	free(ctx.todo);
	return st;
}
