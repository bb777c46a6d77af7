/*
 * scope: what a key with scopes may call.  Scopes are kept one a line:
 *   admin          everything (a Jellyfin key; also no scopes at all)
 *   read           GET and HEAD, on whatever is not for administrators
 *   /Path/Prefix   any method on that path and below (case-insensitive)
 *   GET /Path      GET and HEAD on that path and below
 * and, when a key is made or changed, preset:NAME stands for a list of
 * them (scope_preset; stored as the list).  Pure.
 */
#ifndef KEYFIN_SCOPE_H
#define KEYFIN_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#define SCOPE_MAX_COUNT 32
#define SCOPE_MAX_LEN 200

/* Scopes in the form stored: "" or lines joined with '\n'. */
bool scope_is_admin(const char *scopes);
bool scope_allows(const char *scopes, const char *method, const char *path);

/* NULL when `scope` is one keyfin understands, else why not.  A preset is
 * not a scope: ask scope_preset() first. */
const char *scope_problem(const char *scope);

/* The scopes `scope` stands for when it is "preset:NAME" of a known NAME
 * (jellyfin-admin, jellyfin-library-read, jellyfin-playback, heimdall,
 * homepage, sonarr, radarr, organizr), NULL-terminated; else NULL. */
const char *const *scope_preset(const char *scope);

#endif
