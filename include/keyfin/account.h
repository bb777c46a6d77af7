/*
 * account: users' names and passwords, shared by the HTTP handlers and the
 * command line.  Passwords are hashed with crypto_pwhash_str (Argon2id);
 * a login for a user that does not exist still costs one verification, so
 * timing does not tell which names exist.
 */
#ifndef KEYFIN_ACCOUNT_H
#define KEYFIN_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "keyfin/store.h"

#define ACCOUNT_PASSWORD_MAX 1024       /* bytes */

/* NULL when `name` is an acceptable user name, else why not. */
const char *account_name_problem(const char *name);

/* Hash `password` into `out` (STORE_HASH_MAX + 1 bytes).  An empty password
 * gives "" (no password, as Jellyfin allows).  0 or -1 (out of memory). */
int account_hash(const char *password, char out[STORE_HASH_MAX + 1])
	__attribute__((warn_unused_result));

/* Was the user's hash made with other settings than account_hash()'s? */
bool account_needs_rehash(const struct store_user *user);

/* Does `password` open `user` (NULL: no such user, always false)? */
bool account_verify(const struct store_user *user, const char *password);

/* Create a user; the password is hashed here. */
enum store_status account_create(struct store *s, const char *name,
				 const char *password, bool is_admin,
				 struct store_user *out);

#endif
