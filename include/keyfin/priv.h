/* priv: give up root once what needs it (the socket, the secret) is done. */
#ifndef KEYFIN_PRIV_H
#define KEYFIN_PRIV_H

#include <stddef.h>

/* Become `user` (its uid, gid and groups) for good.  Returns 0, or -1 with
 * the reason in `err`.  A no-op returning 0 when not root. */
int priv_drop(const char *user, char *err, size_t err_len)
	__attribute__((warn_unused_result));

#endif
