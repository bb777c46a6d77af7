#include "keyfin/authcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void authcache_init(struct authcache *c, int cap_ms)
{
	memset(c, 0, sizeof(*c));
	c->cap_us = (int64_t)cap_ms * 1000;
	c->generation = -1;
	c->list_version = -1;
}

void authcache_release(struct authcache *c)
{
	free(c->slot);
	free(c->bad);
	c->slot = NULL;
	c->bad = NULL;
	c->generation = -1;
	c->list_version = -1;
}

static void forget_all(struct authcache *c)
{
	if (c->slot != NULL)
		for (int i = 0; i < AUTHCACHE_SLOTS; i++)
			c->slot[i].used = false;
}

void authcache_forget(struct authcache *c)
{
	forget_all(c);
	c->generation = -1;
}

/* The window a read of the database allows: its own, lowered to the cap. */
static int64_t window_of(const struct authcache *c, int window_ms)
{
	int64_t us = (int64_t)(window_ms < 0 ? 0 : window_ms) * 1000;

	return us < c->cap_us ? us : c->cap_us;
}

void authcache_saw(struct authcache *c, int64_t generation, int window_ms, int64_t sent_us,
		   uint64_t connects)
{
	if (generation != c->generation || connects != c->connects) {
		forget_all(c);
		c->generation = generation;
		c->connects = connects;
		c->checked_us = sent_us;
		c->window_us = window_of(c, window_ms);
	} else if (sent_us > c->checked_us) {
		/* a read's window counts from that read, never from an older one */
		c->checked_us = sent_us;
		c->window_us = window_of(c, window_ms);
	}
}

/* One slot per digest of `table` (`count` slots of `size`; NULL when the
 * table could not be made): a token's slot is taken by another token that
 * hashes to it (the older one is then looked up again).  `at`: where in
 * the digest the slot number is read, so that the two tables differ. */
static void *slot_in(void *table, size_t count, size_t size,
		     const unsigned char digest[TOKEN_DIGEST_LEN], size_t at)
{
	uint32_t h;

	if (table == NULL)
		return NULL;
	memcpy(&h, digest + at, sizeof(h));     /* a keyed hash: already uniform */
	return (char *)table + (h % count) * size;
}

static struct authcache_entry *slot_of(struct authcache *c,
				       const unsigned char digest[TOKEN_DIGEST_LEN])
{
	if (c->slot == NULL)
		c->slot = calloc(AUTHCACHE_SLOTS, sizeof(*c->slot));
	return slot_in(c->slot, AUTHCACHE_SLOTS, sizeof(*c->slot), digest, 0);
}

struct authcache_entry *authcache_recall(struct authcache *c,
					 const unsigned char digest[TOKEN_DIGEST_LEN],
					 const char *remote, int64_t now_us, uint64_t connects,
					 authcache_counter_fn *read, void *ctx)
{
	struct authcache_entry *e = c->cap_us > 0 ? slot_of(c, digest) : NULL;
	int64_t generation;
	uint64_t read_on;
	int window_ms;

	if (e == NULL || !e->used || now_us - e->looked_up_us > AUTHCACHE_MAX_AGE_US ||
	    sodium_memcmp(e->digest, digest, TOKEN_DIGEST_LEN) != 0 ||
	    strcmp(e->remote, remote ? remote : "") != 0)
		return NULL;
	/* expires_in_us is counted by the database's clock from the lookup;
	 * counted here from when the lookup was sent, it ends no later */
	if (e->who.expires_in_us != 0 && now_us >= e->looked_up_us + e->who.expires_in_us)
		return NULL;
	if (now_us - c->checked_us > c->window_us || connects != c->connects) {
		if (read(ctx, &generation, &window_ms, &read_on) != 0)
			return NULL;
		authcache_saw(c, generation, window_ms, now_us, read_on);
	}
	return e->used && e->generation == c->generation ? e : NULL;
}

void authcache_remember(struct authcache *c, const unsigned char digest[TOKEN_DIGEST_LEN],
			const char *remote, const struct store_principal *who,
			int64_t generation, int window_ms, int64_t sent_us, uint64_t connects)
{
	struct authcache_entry *e;

	if (c->cap_us <= 0)
		return;
	authcache_saw(c, generation, window_ms, sent_us, connects);
	if (generation != c->generation || c->window_us <= 0 || (e = slot_of(c, digest)) == NULL ||
	    strlen(remote ? remote : "") >= sizeof(e->remote))
		return;
	e->used = true;
	memcpy(e->digest, digest, TOKEN_DIGEST_LEN);
	snprintf(e->remote, sizeof(e->remote), "%s", remote ? remote : "");
	e->generation = generation;
	e->looked_up_us = sent_us;
	e->who = *who;
}

/* The key list's version, read through `read` unless one was read within
 * the window on this connection.  false: none can be had. */
static bool list_version_fresh(struct authcache *c, int64_t now_us, uint64_t connects,
			       authcache_counter_fn *read, void *ctx)
{
	int64_t version;
	uint64_t read_on;
	int window_ms;

	if (c->list_version >= 0 && c->list_connects == connects &&
	    now_us - c->list_checked_us <= c->list_window_us)
		return true;
	if (read(ctx, &version, &window_ms, &read_on) != 0)
		return false;
	if (version != c->list_version || read_on != c->list_connects) {
		if (c->bad != NULL)
			for (int i = 0; i < AUTHCACHE_BAD_SLOTS; i++)
				c->bad[i].used = false;
	}
	c->list_version = version;
	c->list_connects = read_on;
	c->list_checked_us = now_us;
	c->list_window_us = window_of(c, window_ms);
	return read_on == connects;
}

static struct authcache_bad *bad_slot_of(struct authcache *c,
					 const unsigned char digest[TOKEN_DIGEST_LEN])
{
	if (c->bad == NULL)
		c->bad = calloc(AUTHCACHE_BAD_SLOTS, sizeof(*c->bad));
	return slot_in(c->bad, AUTHCACHE_BAD_SLOTS, sizeof(*c->bad), digest, 4);
}

bool authcache_known_bad(struct authcache *c, const unsigned char digest[TOKEN_DIGEST_LEN],
			 int64_t now_us, uint64_t connects, authcache_counter_fn *read, void *ctx)
{
	struct authcache_bad *b = c->cap_us > 0 && c->bad != NULL ? bad_slot_of(c, digest) : NULL;

	if (b == NULL || !b->used || sodium_memcmp(b->digest, digest, TOKEN_DIGEST_LEN) != 0)
		return false;
	if (!list_version_fresh(c, now_us, connects, read, ctx))
		return false;
	return b->used && b->list_version == c->list_version;
}

void authcache_remember_bad(struct authcache *c, const unsigned char digest[TOKEN_DIGEST_LEN],
			    int64_t sent_us, int64_t now_us, uint64_t connects,
			    authcache_counter_fn *read, void *ctx)
{
	struct authcache_bad *b;

	if (c->cap_us <= 0)
		return;
	/* a version read before the lookup was sent: a key made after that
	 * read and before the lookup would have been found */
	if (c->list_version >= 0 && c->list_connects == connects && c->list_window_us > 0 &&
	    c->list_checked_us <= sent_us && (b = bad_slot_of(c, digest)) != NULL) {
		b->used = true;
		memcpy(b->digest, digest, TOKEN_DIGEST_LEN);
		b->list_version = c->list_version;
	}
	/* for the misses to come */
	(void)list_version_fresh(c, now_us, connects, read, ctx);
}
