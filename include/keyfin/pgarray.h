/*
 * pgarray: PostgreSQL array literals of text ("{...}"), for the $n
 * parameters that take text[] (a key's scopes and allowed_ips), so that
 * nothing from a request is ever written into SQL.  Every element is
 * double-quoted, so that NULL, "", commas, braces and spaces are taken as
 * the text they are; '"' and '\' are escaped with '\'.  Pure: the caller
 * owns the buffer, nothing is allocated.
 */
#ifndef KEYFIN_PGARRAY_H
#define KEYFIN_PGARRAY_H

#include <stdbool.h>
#include <stddef.h>

/* A buffer this big holds any literal of `count` elements of at most
 * `len` bytes each: every byte escaped, two quotes and a comma each, the
 * braces and the NUL. */
#define PGARRAY_SIZE(count, len) ((count) * (2 * (len) + 3) + 3)

struct pgarray {
	char *out;
	size_t size, len, count;
	bool full;              /* something did not fit: no literal */
};

/* Start an empty literal in `out` (`size` bytes). */
void pgarray_init(struct pgarray *a, char *out, size_t size);

/* Add `s` as the next element.  0, or -1 when it does not fit (then no
 * literal is made at all: it is never cut short). */
int pgarray_add(struct pgarray *a, const char *s) __attribute__((warn_unused_result));

/* Close the literal: `out`, NUL-terminated, or NULL if anything did not fit. */
const char *pgarray_finish(struct pgarray *a) __attribute__((warn_unused_result));

#endif
