/*
 * store: the only module that speaks to PostgreSQL (and includes libpq).
 * Each worker owns one `struct store`: one connection, statements prepared
 * on connect (or sent unnamed when `prepared` is off, for pgbouncer < 1.21).
 * Every query uses $n parameters.  A PGresult never leaves this file: rows
 * come back as the typed structs below.
 *
 * When PostgreSQL is away every call answers STORE_UNAVAILABLE quickly (at
 * most one connection attempt every 250 ms) so callers answer 503, and the next
 * call after it comes back reconnects and prepares again by itself.  Reads
 * are retried once on a fresh connection when an old one turns out dead.
 * Nothing waits longer than KEYFIN_DB_TIMEOUT (src/store_conn.h); a server
 * that does not answer in time is dropped, a multi-host URL's next host
 * tried, and only a primary (target_session_attrs=read-write) is used.
 */
#ifndef KEYFIN_STORE_H
#define KEYFIN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keyfin/scope.h"
#include "keyfin/token.h"

#define STORE_ID_LEN 32         /* user ids: uuid as 32 hex, Jellyfin's "N" format */
#define STORE_NAME_MAX 255      /* bytes of a user name */
#define STORE_APP_MAX 64        /* characters of a key's app name (Jellyfin's column) */
#define STORE_TEXT_MAX 256      /* bytes kept of a session's client/device fields */
#define STORE_HASH_MAX 128      /* crypto_pwhash_STRBYTES */

enum store_status {
	STORE_OK = 0,
	STORE_NOT_FOUND,        /* no such row */
	STORE_CONFLICT,         /* a unique constraint, or the last-administrator rule, said no */
	STORE_UNAVAILABLE,      /* PostgreSQL cannot be reached: answer 503 */
	STORE_INVALID,          /* PostgreSQL refused a value (bad date...): 400 */
	STORE_ERROR,            /* anything else; already logged */
};

struct store;

/* Every store function that answers a status: the caller must look at it
 * (a 503 it drops is a request answered as if the write had happened). */
#define STORE_MUST_CHECK __attribute__((warn_unused_result))

struct store_user {
	char id[STORE_ID_LEN + 1];
	char name[STORE_NAME_MAX + 1];
	char password_hash[STORE_HASH_MAX + 1];
	bool is_admin, is_disabled, is_hidden;
	int64_t last_login_us, last_activity_us;        /* 0: never */
	int failed_logins;                              /* in a row */
	bool locked;                                    /* locked_until is ahead */
};

/* Who does something, for the audit trail.  Strings may be "" but not
 * NULL, except actor_user_id (NULL: not a user). */
struct store_actor {
	const char *name;               /* user name, "API key 1a2b...", "command line" */
	const char *user_id;
	const char *remote_addr;
	const char *client;
};

struct store_audit_entry {
	int64_t id;
	int64_t at_us;
	char event[32];
	char severity[16];
	char actor[STORE_NAME_MAX + 1];
	char actor_user_id[STORE_ID_LEN + 1];   /* "" when not a user */
	char remote_addr[64];
	char client[STORE_TEXT_MAX + 1];
	char target[STORE_NAME_MAX + 64];
	int64_t total;                          /* rows matching the filter */
};

struct store_audit_query {
	const char *min_date;           /* ISO 8601, or NULL */
	const char *max_date;           /* ISO 8601 (before it), or NULL */
	const char *type;               /* an event ("key.create") or its kind ("key"), or NULL */
	int has_user;                   /* -1 any, 0 not a user, 1 a user */
	int64_t start, limit;
};

enum store_principal_kind { STORE_PRINCIPAL_SESSION = 1, STORE_PRINCIPAL_KEY = 2 };

/* Who a token belongs to.  For a key, `client` is the key's app name. */
struct store_principal {
	enum store_principal_kind kind;
	int64_t id;                     /* session or key row */
	bool user_missing;              /* session of a deleted user */
	char user_id[STORE_ID_LEN + 1];
	char user_name[STORE_NAME_MAX + 1];
	bool is_admin, is_disabled;
	int64_t last_activity_us;
	char client[STORE_TEXT_MAX + 1];
	char device_name[STORE_TEXT_MAX + 1];
	char device_id[STORE_TEXT_MAX + 1];
	char app_version[STORE_TEXT_MAX + 1];
	char scopes[SCOPE_MAX_COUNT * (SCOPE_MAX_LEN + 1) + 1]; /* "" = admin */
	bool address_allowed;           /* by the key's allowed_ips */
	int64_t expires_in_us;          /* a key's time left at the lookup, 0: no expiry */
	bool reused;                    /* a rolled key past its grace (NOT_FOUND) */
};

struct store_key {
	int64_t id;
	char app_name[STORE_APP_MAX * 4 + 1];  /* 64 characters of UTF-8 */
	unsigned char sealed[TOKEN_SEALED_LEN];
	size_t sealed_len;                      /* 0: hash-only, no box */
	unsigned char digest[TOKEN_DIGEST_LEN];
	char prefix[5];
	int64_t created_us, last_activity_us;
};

/* The session a login creates; strings are URL-decoded header values. */
struct store_session_new {
	const char *user_id;
	const unsigned char *digest;
	const char *client, *device_name, *device_id, *app_version;
};

/* NULL with a sentence in `err` when `url` cannot be read (or no memory). */
struct store *store_new(const char *url, bool prepared, int timeout_ms,
			char *err, size_t err_len);
void store_free(struct store *s);

/* A worker's new request: from now on the store waits for PostgreSQL at
 * most `timeout_ms` in all, connecting included (src/store_conn.h).  Without
 * it (the command line) every round trip gets that long. */
void store_begin(struct store *s);

/* Connect now if not connected (rate-limited as above). */
STORE_MUST_CHECK
enum store_status store_ready(struct store *s);

/* How many connections this store has made.  A new connection may be to
 * another server (a failover): what a worker remembers of the last one,
 * such as the revocation counter, is then forgotten. */
uint64_t store_connects(const struct store *s);

/* One round trip that proves the database answers (readiness). */
STORE_MUST_CHECK
enum store_status store_ping(struct store *s);

/* Apply every pending migration in one transaction under an advisory lock,
 * so that instances starting together apply each exactly once.  `applied`
 * gets how many this call applied. */
STORE_MUST_CHECK
enum store_status store_migrate(struct store *s, int *applied);

/* The newest migration applied to the database (0: none), and the newest
 * this binary carries. */
STORE_MUST_CHECK
enum store_status store_schema_version(struct store *s, int *version);
int store_schema_wanted(void);

STORE_MUST_CHECK
enum store_status store_server_id(struct store *s, char out[STORE_ID_LEN + 1]);

/* The check value of the secret this database's keys were made under
 * (sql/0008_secret_check.sql) into `out` (`len` bytes), `out_len` 0 when
 * none is recorded.  With `claim` (`len` bytes), that value is recorded
 * first when none is. */
STORE_MUST_CHECK
enum store_status store_secret_check(struct store *s, const unsigned char *claim, size_t len,
				    unsigned char *out, size_t *out_len);
/* Record `check` as the database's, whatever was. */
STORE_MUST_CHECK
enum store_status store_secret_check_set(struct store *s, const unsigned char *check, size_t len);

/* `digests`: the token under each of the `count` secrets in force
 * (token_digests()). */
STORE_MUST_CHECK
enum store_status store_lookup_token(struct store *s,
				     const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				     int count, const char *remote_addr,
				     struct store_principal *out, int64_t *generation,
				     int *window_ms);

/* The revocation generation (sql/0004_revocations.sql): it grows with every
 * change that takes a right away.  store_lookup_token gives the one its
 * answer was read with.  `window_ms` (when not NULL): the memory window
 * read with it (sql/0007_auth_cache_window.sql), as store_lookup_token
 * gives it too. */
STORE_MUST_CHECK
enum store_status store_generation(struct store *s, int64_t *generation, int *window_ms);

/* How long a revoking answer is held back, read after its commit: the
 * database's window, or the one it replaced while a change is under way. */
STORE_MUST_CHECK
enum store_status store_hold_ms(struct store *s, int *hold_ms);

/* The database's window; `previous_ms` -1 unless a change is under way. */
STORE_MUST_CHECK
enum store_status store_auth_cache_get(struct store *s, int *window_ms, int *previous_ms);

/* Set the window: `was_ms` gets the one it replaced, `previous_ms` how long
 * a worker may still use the old one (revocations hold that long until
 * store_auth_cache_settled is called, `previous_ms` after this returned). */
STORE_MUST_CHECK
enum store_status store_auth_cache_set(struct store *s, int window_ms, int *was_ms,
				       int *previous_ms);
STORE_MUST_CHECK
enum store_status store_auth_cache_settled(struct store *s, int window_ms, int previous_ms);

/* Front mode (src/front.c): *gone is true when the token of `digests`
 * was a keyfin key that has been deleted (sql/0012_key_tombstones.sql) or
 * has expired, false when keyfin never made it. */
STORE_MUST_CHECK
enum store_status store_key_gone(struct store *s,
				 const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				 int count, bool *gone);

/* Record use (and, for a key, the address), unless it was recorded less
 * than `interval` seconds ago. */
STORE_MUST_CHECK
enum store_status store_touch(struct store *s, enum store_principal_kind kind,
			      int64_t id, int interval, const char *remote_addr);

/* Calls `each` for every key in creation order; a non-zero return stops.
 * The keys come STORE_KEY_PAGE at a time (memory stays that of a page
 * however many keys there are), each page after the last id of the one
 * before: a key appears once at most, and a key made or revoked while a
 * list longer than a page is read may or may not be in it.  `each` may
 * not use the store. */
#define STORE_KEY_PAGE 1000
STORE_MUST_CHECK
enum store_status store_key_list(struct store *s,
				 int (*each)(const struct store_key *key, void *ctx),
				 void *ctx, int64_t *version);

/* The key list's version (sql/0005_key_list_version.sql): any change to
 * any key raises it.  store_key_list sets `version` (when not NULL) to the
 * one its rows were read with when the whole list came in one page, else
 * to -1 (or -2 for no keys at all: no version was read).  `window_ms`
 * (when not NULL): the memory window read with it. */
STORE_MUST_CHECK
enum store_status store_key_list_version(struct store *s, int64_t *version, int *window_ms);
/* Folds the version rows of database connections that are gone into one
 * (sql/0009_key_list_counts.sql); *folded: how many. */
STORE_MUST_CHECK
enum store_status store_key_list_fold(struct store *s, int64_t *folded);

/* Delete a key and record it, in one statement.  Deleting a key that does
 * not exist is STORE_OK (and not recorded): the key is gone either way. */
STORE_MUST_CHECK
enum store_status store_key_delete(struct store *s,
				   const unsigned char digests[TOKEN_SECRETS_MAX][TOKEN_DIGEST_LEN],
				   const char *prefix, const struct store_actor *by);

/* A key's details for /keyfin/v1/keys (no digest; the box to show its
 * first characters). */
struct store_key_info {
	int64_t id;
	char app_name[STORE_APP_MAX * 4 + 1];
	unsigned char sealed[TOKEN_SEALED_LEN];
	size_t sealed_len;
	int64_t created_us, last_activity_us, expires_us;       /* 0: never */
	char prefix[5];
	char last_address[64];
	char scopes[SCOPE_MAX_COUNT * (SCOPE_MAX_LEN + 1) + 1];  /* one a line; "" = admin */
	char allowed_ips[SCOPE_MAX_COUNT * 50 + 1];             /* one a line; "" = anywhere */
	char note[1001 * 4];
	int64_t reused_us;                      /* a rolled key used after its grace; 0: never */
	char reused_from[64];
};

/* Options of a key, as text PostgreSQL parses (so a bad date or CIDR is
 * STORE_INVALID): NULL leaves a value unset.  scopes and allowed_ips are
 * array literals ("{...}").  For an update, set_* say what changes. */
struct store_key_options {
	const char *expires_at, *ttl, *scopes, *allowed_ips, *note;
	bool set_expires, set_scopes, set_allowed_ips, set_note;
};

/* Insert a key, with options `o` (NULL: none), and its audit record, in one
 * statement; `out` gets the key's details (DateCreated...).  `sealed` NULL
 * keeps no copy of the key at all (hash-only); so for the other functions
 * taking a box. */
STORE_MUST_CHECK
enum store_status store_key_insert(struct store *s, const char *app_name,
				   const unsigned char digest[TOKEN_DIGEST_LEN],
				   const unsigned char sealed[TOKEN_SEALED_LEN],
				   const char *prefix, const struct store_actor *by,
				   const struct store_key_options *o, struct store_key_info *out);
/* One key (`id` > 0) or all (0), in creation order; NOT_FOUND when none. */
STORE_MUST_CHECK
enum store_status store_key_info(struct store *s, int64_t id,
				 int (*each)(const struct store_key_info *k, void *ctx), void *ctx);
STORE_MUST_CHECK
enum store_status store_key_update(struct store *s, int64_t id,
				   const struct store_key_options *o, struct store_key_info *out);
/* A new key (digest, box) with key `id`'s options, in one statement that
 * also gives the old key `grace` seconds to live. */
STORE_MUST_CHECK
enum store_status store_key_roll(struct store *s, int64_t id, int grace,
				 const unsigned char digest[TOKEN_DIGEST_LEN],
				 const unsigned char sealed[TOKEN_SEALED_LEN],
				 const char *prefix, const struct store_actor *by,
				 struct store_key_info *out);
STORE_MUST_CHECK
enum store_status store_key_delete_id(struct store *s, int64_t id, const struct store_actor *by);
/* A rolled key (`id`) was used after its grace from `remote_addr`: record
 * it (at most once a minute), and when `revoke` revoke the key that
 * replaced it.  `recorded` and `revoked` say what was done. */
STORE_MUST_CHECK
enum store_status store_key_reused(struct store *s, int64_t id, const char *remote_addr,
				   const char *client, bool revoke, bool *recorded, bool *revoked);
/* Revoke (and record) every key unused for `days` days. */
STORE_MUST_CHECK
enum store_status store_key_sweep(struct store *s, int days, int *revoked);

/* Store a key's new digest and box (after a change of secret), unless it
 * was revoked or re-sealed since `old_digest` was read: NOT_FOUND then. */
STORE_MUST_CHECK
enum store_status store_key_reseal(struct store *s, int64_t id,
				   const unsigned char old_digest[TOKEN_DIGEST_LEN],
				   const unsigned char digest[TOKEN_DIGEST_LEN],
				   const unsigned char sealed[TOKEN_SEALED_LEN]);

STORE_MUST_CHECK
enum store_status store_user_by_name(struct store *s, const char *name,
				     struct store_user *out);
STORE_MUST_CHECK
enum store_status store_user_by_id(struct store *s, const char *id,
				   struct store_user *out);
STORE_MUST_CHECK
enum store_status store_user_list(struct store *s,
				  int (*each)(const struct store_user *user, void *ctx),
				  void *ctx);
STORE_MUST_CHECK
enum store_status store_user_insert(struct store *s, const char *name,
				    const char *password_hash, bool is_admin,
				    struct store_user *out);
STORE_MUST_CHECK
enum store_status store_user_delete(struct store *s, const char *id);
STORE_MUST_CHECK
enum store_status store_user_set_policy(struct store *s, const char *id,
					bool is_admin, bool is_disabled, bool is_hidden);
STORE_MUST_CHECK
enum store_status store_user_set_password(struct store *s, const char *id,
					  const char *password_hash);
/* Administrators that are not disabled (to refuse locking everyone out). */
STORE_MUST_CHECK
enum store_status store_count_admins(struct store *s, int *count);

/* A failed login: counts it, and locks the user for `lock_seconds` once
 * `max_attempts` (0: never) failures are in a row.  `locked` tells whether
 * this failure locked the user. */
STORE_MUST_CHECK
enum store_status store_login_failed(struct store *s, const char *user_id,
				     int max_attempts, int lock_seconds, bool *locked);
/* Clear the failure count and any lock (an administrator's unlock). */
STORE_MUST_CHECK
enum store_status store_user_unlock(struct store *s, const char *id);

STORE_MUST_CHECK
enum store_status store_audit_add(struct store *s, const char *event, const char *severity,
				  const struct store_actor *by, const char *target);
/* Newest first; `each` may stop early by returning non-zero. */
STORE_MUST_CHECK
enum store_status store_audit_list(struct store *s, const struct store_audit_query *q,
				   int (*each)(const struct store_audit_entry *e, void *ctx),
				   void *ctx);

/* Log in: replaces the user's session on that device, if any. */
STORE_MUST_CHECK
enum store_status store_session_create(struct store *s,
				       const struct store_session_new *session);
STORE_MUST_CHECK
enum store_status store_session_delete(struct store *s, int64_t id);
/* End every session of a user except `keep_id` (0: keep none). */
STORE_MUST_CHECK
enum store_status store_session_revoke_user(struct store *s, const char *user_id,
					    int64_t keep_id);

/* Sessions, every user's, for an administrator. */
struct store_session_info {
	int64_t id;
	char user_id[STORE_ID_LEN + 1];         /* "" once the user is deleted */
	char user_name[STORE_NAME_MAX + 1];
	char client[STORE_TEXT_MAX + 1];
	char device_name[STORE_TEXT_MAX + 1];
	char device_id[STORE_TEXT_MAX + 1];
	char app_version[STORE_TEXT_MAX + 1];
	int64_t created_us, last_activity_us;
};
STORE_MUST_CHECK
enum store_status store_session_list(struct store *s,
				     int (*each)(const struct store_session_info *session, void *ctx),
				     void *ctx);
/* End session `id` for an administrator, recorded in the audit trail. */
STORE_MUST_CHECK
enum store_status store_session_sign_out(struct store *s, int64_t id,
					 const struct store_actor *by);

/* Requests per key and hour (src/usage.c, sql/0010_key_usage.sql). */
struct store_usage_row {
	int64_t key_id;
	int64_t hour_s;         /* the hour's start, epoch seconds */
	int64_t requests;
};
/* Add counts: three PostgreSQL array literals of as many numbers each
 * (key ids, hours in epoch seconds, requests). */
STORE_MUST_CHECK
enum store_status store_usage_add(struct store *s, const char *key_ids, const char *hours,
				  const char *requests);
/* The hours from `since_s` on of key `key_id` (0: every key), by key and
 * hour; hours without requests have no row.  OK when there is none. */
STORE_MUST_CHECK
enum store_status store_usage_list(struct store *s, int64_t key_id, int64_t since_s,
				   int (*each)(const struct store_usage_row *row, void *ctx),
				   void *ctx);

#endif
