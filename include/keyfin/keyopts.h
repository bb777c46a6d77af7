/*
 * keyopts: the options of a key in the JSON body of POST and PATCH
 * /keyfin/v1/keys (docs/keyfin-api.yaml): expires_at or ttl, scopes,
 * allowed_ips and note.  Pure: no I/O; the lists become PostgreSQL array
 * literals (pgarray) in the caller's struct, the rest points into the body.
 */
#ifndef KEYFIN_KEYOPTS_H
#define KEYFIN_KEYOPTS_H

#include <json-c/json.h>

#include "keyfin/pgarray.h"
#include "keyfin/scope.h"
#include "keyfin/store.h"

#define KEYOPTS_NOTE_MAX 1000                   /* bytes */
#define KEYOPTS_LIST_MAX SCOPE_MAX_COUNT        /* scopes or addresses per key */
/* The longest CIDR text: an IPv6 address with an IPv4 tail (45) and /128. */
#define KEYOPTS_ADDRESS_MAX 49

struct keyopts {
	/* what to store; expires_at and note point into the body, so they
	 * live as long as it does; scopes, allowed_ips and ttl point below */
	struct store_key_options o;
	char scopes[PGARRAY_SIZE(SCOPE_MAX_COUNT, SCOPE_MAX_LEN)];
	char ips[PGARRAY_SIZE(KEYOPTS_LIST_MAX, KEYOPTS_ADDRESS_MAX)];
	char ttl[24];
};

/* Read expires_at/ttl, scopes, allowed_ips and note of the object `body`
 * into `k`.  A member that is absent leaves its option unset; null clears
 * it.  NULL, or what is wrong (a sentence for a 400). */
const char *keyopts_read(json_object *body, struct keyopts *k);

#endif
