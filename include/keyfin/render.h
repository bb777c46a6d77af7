/*
 * render: JSON out, with json-c.  Names are given in Jellyfin's PascalCase
 * and turned into camelCase (as .NET's JsonNamingPolicy.CamelCase does) when
 * the client asked for profile="CamelCase".  json-c keeps insertion order,
 * so fields come out in the order they are added: the order of Jellyfin's
 * DTOs.
 */
#ifndef KEYFIN_RENDER_H
#define KEYFIN_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#define RENDER_DATE_LEN 28      /* 0001-01-01T00:00:00.0000000Z */

/*
 * Does this Accept header get camelCase JSON?  As ASP.NET picks Jellyfin's
 * formatters: the JSON-compatible entry with the highest q (the first of
 * equals) decides, and only its own profile parameter counts.  The SDK
 * 1.0.0 sends "application/json,application/json; profile=CamelCase,..."
 * and gets PascalCase.
 */
bool render_wants_camel(const char *accept);

/* .NET's camel-casing of one PascalCase name into `out` (64 bytes). */
void render_camel(const char *pascal, char out[64]);

void render_add(json_object *obj, bool camel, const char *name, json_object *value);
void render_str(json_object *obj, bool camel, const char *name, const char *value);
void render_bool(json_object *obj, bool camel, const char *name, bool value);
void render_int(json_object *obj, bool camel, const char *name, int64_t value);
/* A date as Jellyfin writes it (UTC, 7 fractional digits, Z); `us` is
 * microseconds since the epoch, 0 for "never" (0001-01-01T00:00:00.0000000Z). */
void render_date(json_object *obj, bool camel, const char *name, int64_t us);
void render_format_date(int64_t us, char out[RENDER_DATE_LEN + 1]);

/* `s` as a JSON string, quoted and escaped exactly as json-c writes it
 * (JSON_C_TO_STRING_NOSLASHESCAPE), for answers written without json-c.
 * `out` needs room for 6 * strlen(s) + 3 bytes; returns the length. */
size_t render_json_string(char *out, const char *s);
#define RENDER_JSON_STRING_MAX(len) (6 * (len) + 3)

#endif
