/* audit: the audit trail's entries in words, for the activity log and the
 * command line.  Pure. */
#ifndef KEYFIN_AUDIT_H
#define KEYFIN_AUDIT_H

#include <stddef.h>

#include "keyfin/store.h"

/* One sentence: "admin created key 12 (1a2b...) for Heimdall". */
void audit_describe(const struct store_audit_entry *e, char *out, size_t len);

#endif
