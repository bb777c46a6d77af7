/* text: checks on text that comes from the network before it is stored. */
#ifndef KEYFIN_TEXT_H
#define KEYFIN_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when `s` (len bytes) is valid UTF-8 (no overlong forms, surrogates
 * or code points past U+10FFFF) without NUL or other control characters:
 * what PostgreSQL will store and a JSON client will read back unchanged. */
bool text_is_clean(const char *s, size_t len);

/* The same strict UTF-8 check, control characters (NUL too) allowed. */
bool text_is_utf8(const char *s, size_t len);

#endif
