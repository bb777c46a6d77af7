/*
 * fuzz_request links the real src/auth.c for auth_extract(), which needs
 * no database; the rest of auth.c calls the store, the shared-memory
 * throttle, metrics and the log.  These stand in for them: reaching one
 * from auth_extract is itself a failure, so each aborts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/store.h"
#include "keyfin/throttle.h"
#include "keyfin/usage.h"

static void reached(const char *what)
{
	fprintf(stderr, "property failed: auth_extract reached %s\n", what);
	abort();
}

void usage_count(struct usage *u, int64_t key_id, int64_t now_s)
{
	(void)u, (void)key_id, (void)now_s;
	reached("usage_count");
}

enum store_status store_audit_add(struct store *s, const char *event, const char *severity,
				  const struct store_actor *by, const char *target)
{
	(void)s, (void)event, (void)severity, (void)by, (void)target;
	reached("store_audit_add");
	return STORE_ERROR;
}

uint64_t store_connects(const struct store *s)
{
	(void)s;
	reached("store_connects");
	return 0;
}

enum store_status store_generation(struct store *s, int64_t *generation, int *window_ms)
{
	(void)s, (void)generation, (void)window_ms;
	reached("store_generation");
	return STORE_ERROR;
}

enum store_status store_key_list_version(struct store *s, int64_t *version, int *window_ms)
{
	(void)s, (void)version, (void)window_ms;
	reached("store_key_list_version");
	return STORE_ERROR;
}

enum store_status store_key_reused(struct store *s, int64_t id, const char *remote_addr,
				   const char *client, bool revoke, bool *recorded, bool *revoked)
{
	(void)s, (void)id, (void)remote_addr, (void)client, (void)revoke;
	(void)recorded, (void)revoked;
	reached("store_key_reused");
	return STORE_ERROR;
}

enum store_status store_lookup_token(struct store *s,
				     const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				     int count, const char *remote_addr,
				     struct store_principal *out, int64_t *generation,
				     int *window_ms)
{
	(void)s, (void)digests, (void)count, (void)remote_addr, (void)out, (void)generation;
	(void)window_ms;
	reached("store_lookup_token");
	return STORE_ERROR;
}

enum store_status store_key_gone(struct store *s,
				 const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				 int count, bool *gone)
{
	(void)s, (void)digests, (void)count, (void)gone;
	reached("store_key_gone");
	return STORE_ERROR;
}

enum store_status store_touch(struct store *s, enum store_principal_kind kind,
			      int64_t id, int interval, const char *remote_addr)
{
	(void)s, (void)kind, (void)id, (void)interval, (void)remote_addr;
	reached("store_touch");
	return STORE_ERROR;
}

bool throttle_failed(const char *addr, int64_t now_ms)
{
	(void)addr, (void)now_ms;
	reached("throttle_failed");
	return false;
}

void throttle_good(const unsigned char digest[TOKEN_DIGEST_LEN], bool good)
{
	(void)digest, (void)good;
	reached("throttle_good");
}

bool throttle_is_good(const unsigned char digest[TOKEN_DIGEST_LEN])
{
	(void)digest;
	reached("throttle_is_good");
	return false;
}

int throttle_wait(const char *addr, int64_t now_ms)
{
	(void)addr, (void)now_ms;
	reached("throttle_wait");
	return 0;
}

void metrics_auth_known_bad(void)
{
	reached("metrics_auth_known_bad");
}

void metrics_auth_remembered(void)
{
	reached("metrics_auth_remembered");
}

void metrics_auth_throttled(void)
{
	reached("metrics_auth_throttled");
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	(void)level, (void)event, (void)fmt;
	reached("log_msg");
}
