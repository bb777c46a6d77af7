/*
 * reqjson: JSON request bodies, read as ASP.NET binds them: one object,
 * member names matched case-insensitively.
 */
#ifndef KEYFIN_REQJSON_H
#define KEYFIN_REQJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define REQJSON_MAX (16 * 1024 * 1024)  /* bytes; the HTTP layer's limit is lower */
#define REQJSON_DEPTH 32

/* The object in `buf` (exactly one, nothing after it), or NULL.  The caller
 * json_object_put()s it. */
json_object *reqjson_parse(const char *buf, size_t len);

/* Is there a member `name` (in any case), null included? */
bool reqjson_has(json_object *obj, const char *name);
/* A member of any type (name in any case), or NULL when absent or null. */
json_object *reqjson_member(json_object *obj, const char *name);
/* A string member, or NULL when absent, not a string, or holding NUL. */
const char *reqjson_str(json_object *obj, const char *name);
/* A boolean member; `def` when absent or not a boolean. */
bool reqjson_bool(json_object *obj, const char *name, bool def);

#endif
