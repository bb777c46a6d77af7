/*
 * render_user: Jellyfin's user DTOs as JSON: UserDto (with its
 * UserConfiguration and UserPolicy), SessionInfoDto, and the
 * AuthenticationResult a login answers.  Pure: no database, no request;
 * the handlers read what is shown and pass it in, so the bytes can be
 * checked against golden text (tests/unit/test_render_user.c).
 */
#ifndef KEYFIN_RENDER_USER_H
#define KEYFIN_RENDER_USER_H

#include <stdbool.h>

#include <json-c/json.h>

#include "keyfin/store.h"

/* What every user DTO shows besides the user: the same for all of one
 * answer. */
struct render_user_opts {
	const char *server_id;
	int lockout;            /* KEYFIN_LOGIN_ATTEMPTS; 0 or less: never */
	bool camel;             /* the client asked for camelCase */
};

/* UserDto, fields in Jellyfin's order. */
json_object *render_user_dto(const struct render_user_opts *o, const struct store_user *u);

/* SessionInfoDto of the session `s` just made for `u`; `remote_addr` NULL
 * when unknown. */
json_object *render_user_session(const struct render_user_opts *o,
				 const struct store_user *u,
				 const struct store_session_new *s, const char *remote_addr);

/* AuthenticationResult: the user, the session and its token. */
json_object *render_user_login(const struct render_user_opts *o, const struct store_user *u,
			       const struct store_session_new *s, const char *remote_addr,
			       const char *token);

#endif
