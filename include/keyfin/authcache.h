/*
 * authcache: a worker's memory of who a token is, so that a key used over
 * and over (every request of every integration) is not looked up in
 * PostgreSQL every time, while revocation stays immediate.
 *
 * Every change that takes a right away adds one to a revocation counter in
 * the same transaction (sql/0004_revocations.sql).  An entry is used only
 * while the worker has read the current counter within a window, measured
 * from when it *sent* the query that read it; a revoking request's answer
 * is held back as long (src/revhold.c).  So a request that arrives after
 * that answer finds every worker either having read the new counter (which
 * empties its memory) or past its window and asking again.  A counter that
 * cannot be read is no answer from memory.
 *
 * The window is the database's, the same for every instance: each read of
 * the counter also reads it (sql/0007_auth_cache_window.sql), and the
 * window a read allows counts from that read only.  KEYFIN_AUTH_CACHE_MS
 * (`cap_us`) can only lower it for this worker, never raise it past what
 * the revokers of other instances wait.
 *
 * Any other counter value than the one known empties the memory (a lower
 * one too: a database restored from a backup), and so does a value read on
 * another connection than the last (`connects`: after a reconnect the server
 * may be another one, whose counter says nothing of the old one's).  An entry
 * also ends at a key's expiry (counted by the database's clock from the
 * lookup) and after AUTHCACHE_MAX_AGE_US at most.
 *
 * Pure: the clock and the counter read are passed in (tests/unit).
 */
#ifndef KEYFIN_AUTHCACHE_H
#define KEYFIN_AUTHCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "keyfin/store.h"
#include "keyfin/token.h"

#define AUTHCACHE_SLOTS 128
#define AUTHCACHE_BAD_SLOTS 256         /* tokens known not to exist */
#define AUTHCACHE_MAX_AGE_US 10000000   /* names and device fields come fresh after it */

struct authcache_entry {
	bool used;
	unsigned char digest[TOKEN_DIGEST_LEN];
	char remote[64];                /* allowed_ips is decided per address */
	int64_t generation;
	int64_t looked_up_us;           /* when the lookup was sent */
	struct store_principal who;
};

/* A token the database did not know, with the key list's version read
 * before that lookup was sent. */
struct authcache_bad {
	bool used;
	unsigned char digest[TOKEN_DIGEST_LEN];
	int64_t list_version;
};

struct authcache {
	struct authcache_entry *slot;   /* AUTHCACHE_SLOTS, made on first use */
	struct authcache_bad *bad;      /* AUTHCACHE_BAD_SLOTS, made on first use */
	int64_t list_version;           /* the key list's version last read; -1: none */
	int64_t list_checked_us;        /* when the query that read it was sent */
	uint64_t list_connects;         /* the connection it was read on */
	int64_t list_window_us;         /* the window that read allows */
	int64_t cap_us;                 /* KEYFIN_AUTH_CACHE_MS; 0: remember nothing */
	int64_t window_us;              /* the window the last counter read allows */
	int64_t generation;             /* the newest read; -1: none yet */
	int64_t checked_us;             /* when the query that read it was sent */
	uint64_t connects;              /* the connection it was read on */
};

/* Reads the revocation counter now, with the database's window, and says
 * on which connection (the store's count of connections made): 0, or -1
 * when it cannot be read. */
typedef int authcache_counter_fn(void *ctx, int64_t *generation, int *window_ms,
				 uint64_t *connects);

/* `cap_ms`: the most this worker may use of the database's window. */
void authcache_init(struct authcache *c, int cap_ms);
void authcache_release(struct authcache *c);
/* Forget every token remembered (this worker revoked something itself). */
void authcache_forget(struct authcache *c);

/* A counter (and window) read by a query sent at `sent_us` on connection
 * `connects`. */
void authcache_saw(struct authcache *c, int64_t generation, int window_ms, int64_t sent_us,
		   uint64_t connects);

/*
 * The remembered entry for this token from this address at `now_us`, if it
 * may be used.  When the last counter read is older than the window, or was
 * on another connection than the current one (`connects`), the counter is
 * read again through `read` first.  NULL: look it up.
 */
struct authcache_entry *authcache_recall(struct authcache *c,
					 const unsigned char digest[TOKEN_DIGEST_LEN],
					 const char *remote, int64_t now_us, uint64_t connects,
					 authcache_counter_fn *read, void *ctx);

/* Remember what a lookup sent at `sent_us` on connection `connects` said,
 * with the counter and window it read. */
void authcache_remember(struct authcache *c, const unsigned char digest[TOKEN_DIGEST_LEN],
			const char *remote, const struct store_principal *who,
			int64_t generation, int window_ms, int64_t sent_us, uint64_t connects);

/*
 * Tokens known not to exist, so that one that keeps coming back (a revoked
 * or expired key an integration still sends) costs no lookup each time.
 * Any change to any key raises the key list's version
 * (sql/0005_key_list_version.sql), so an entry is believed only while the
 * version it was made with is still the current one, read within the
 * window that read allows (on the current connection), as for the
 * revocation counter: a key
 * created (or imported with a known token) afterwards is never refused
 * for longer than the window.  `read` reads the version.  Bounded: a flood
 * of random tokens only takes turns in AUTHCACHE_BAD_SLOTS slots.
 */
bool authcache_known_bad(struct authcache *c, const unsigned char digest[TOKEN_DIGEST_LEN],
			 int64_t now_us, uint64_t connects, authcache_counter_fn *read, void *ctx);

/* A lookup sent at `sent_us` found nothing: remembered when the key list's
 * version was read before it was sent; and the version is read now (for
 * the misses to come) when the last read is older than the window. */
void authcache_remember_bad(struct authcache *c, const unsigned char digest[TOKEN_DIGEST_LEN],
			    int64_t sent_us, int64_t now_us, uint64_t connects,
			    authcache_counter_fn *read, void *ctx);

#endif
