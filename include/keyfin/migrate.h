/* migrate: the numbered schema migrations of sql/, built into the binary. */
#ifndef KEYFIN_MIGRATE_H
#define KEYFIN_MIGRATE_H

#include <stddef.h>

struct migration {
	int version;
	const char *name;
	const char *sql;
};

/* In version order (generated from sql/ by scripts/embed-sql). */
extern const struct migration migrations[];
extern const size_t migrations_count;

#endif
