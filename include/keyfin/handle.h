/*
 * handle: one function per endpoint of jellyfin-compat.md s.4.  Each is
 * called after route_dispatch() checked the caller's level, and answers.
 */
#ifndef KEYFIN_HANDLE_H
#define KEYFIN_HANDLE_H

#include <json-c/json.h>

#include "keyfin/reqjson.h"
#include "keyfin/route.h"

handler_fn handle_ping, handle_health, handle_health_live, handle_metrics,
	handle_info_public, handle_info;
handler_fn handle_keys_list, handle_keys_create, handle_keys_revoke;
handler_fn handle_authenticate, handle_logout;
handler_fn handle_users_me, handle_users_list, handle_users_public,
	handle_users_get, handle_users_new, handle_users_delete,
	handle_users_policy, handle_users_password;
handler_fn handle_activity, handle_verify;
handler_fn handle_ext_list, handle_ext_create, handle_ext_get, handle_ext_update,
	handle_ext_delete, handle_ext_roll;
handler_fn handle_usage_key, handle_usage_all, handle_sessions_list, handle_sessions_delete;

/* Shared by the handlers. */

/* Answer for a store failure: 503 when the database is away, else 500. */
void handle_store_failure(struct req *r, enum store_status st);

/* Parse the body as a JSON object; on failure answer 400/413 and return
 * NULL.  The caller json_object_put()s the result. */
json_object *handle_json_body(struct app *app, struct req *r);

/* A whole positive id from a path segment (keys, sessions), or 0. */
int64_t handle_path_id(const char *arg);

/* Serialise `obj`, answer `status` with application/json, and free `obj`. */
void handle_send_json(struct req *r, int status, json_object *obj);

#endif
