/* /Users/AuthenticateByName and /Sessions/Logout: a user's sessions begin
 * and end here; failed logins are counted and lock the user out. */
#include "keyfin/handle.h"

#include <stdio.h>
#include <string.h>

#include "keyfin/account.h"
#include "keyfin/log.h"
#include "keyfin/throttle.h"
#include "keyfin/metrics.h"
#include "keyfin/render_user.h"
#include "keyfin/text.h"

/* The text of a header field, or "" when absent. */
static const char *field(const struct authhdr_value *v)
{
	return v->present ? v->ptr : "";
}

static bool field_given(const struct authhdr_value *v)
{
	return v->present && v->len > 0 && !authhdr_is_blank(v);
}

/* The device fields are stored and echoed: they must be storable text. */
static bool device_fields_ok(const struct caller *c)
{
	const struct authhdr_value *f[] = { &c->hdr.client, &c->hdr.device,
					    &c->hdr.device_id, &c->hdr.version };

	for (size_t i = 0; i < 4; i++)
		if (!field_given(f[i]) || f[i]->len > STORE_TEXT_MAX ||
		    !text_is_clean(f[i]->ptr, f[i]->len))
			return false;
	return true;
}

/* The password was right: store it again under today's settings. */
static void upgrade_hash(struct app *app, const struct store_user *user, const char *pw)
{
	char hash[STORE_HASH_MAX + 1];

	if (account_hash(pw, hash) == 0 &&
	    store_user_set_password(app->store, user->id, hash) == STORE_OK)
		log_msg(LOG_INFO, "password_rehash", "password hash of %s upgraded", user->name);
	sodium_memzero(hash, sizeof(hash));
}

/* Login events: the caller is not resolved yet, the name is the one tried. */
static void audit_login(struct app *app, const struct caller *c, const struct req *r,
			const char *event, const char *severity, const char *name)
{
	struct store_actor by = {
		.name = name, .user_id = NULL,
		.remote_addr = r->remote_addr ? r->remote_addr : "",
		.client = c->hdr.client.present ? c->hdr.client.ptr : "",
	};

	if (store_audit_add(app->store, event, severity, &by, name) != STORE_OK)
		log_msg(LOG_WARN, "audit", "could not record %s", event);
}

/* A wrong name or password, or a locked user: 401, counted against the
 * user, who is locked after KEYFIN_LOGIN_ATTEMPTS in a row. */
static void login_refused(struct app *app, const struct caller *c, struct req *r,
			  const struct store_user *user, const char *name)
{
	bool locked = false;

	metrics_login_failure();
	log_msg(LOG_WARN, "login_failed", "failed login from %s",
		r->remote_addr ? r->remote_addr : "?");
	if (user != NULL && !user->locked &&
	    store_login_failed(app->store, user->id, app->cfg->login_attempts,
			       app->cfg->lockout_seconds, &locked) != STORE_OK)
		log_msg(LOG_WARN, "login_failed", "could not count the failure");
	if (locked)
		log_msg(LOG_WARN, "user_locked", "user %s locked for %d s after %d failed logins",
			user->name, app->cfg->lockout_seconds, app->cfg->login_attempts);
	audit_login(app, c, r, user != NULL && user->locked ? "login.locked" : "login.failed",
		    "Warning", name);
	if (locked)
		audit_login(app, c, r, "user.locked", "Warning", name);
	/* a wrong login is a failed credential of its address, too */
	auth_note_failure(app, r->remote_addr, c->hdr.client.present ? c->hdr.client.ptr : NULL);
	http_respond_text(r, 401, "Error processing request.");
}

void handle_authenticate(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	char token[TOKEN_HEX_LEN + 1];
	unsigned char digest[TOKEN_DIGEST_LEN];
	struct store_user user;
	struct store_session_new session;
	char name[STORE_NAME_MAX + 1];
	struct render_user_opts opts;
	const char *given, *pw, *sid;
	json_object *body, *result;
	enum store_status st;
	bool ok;

	(void)arg;
	body = handle_json_body(app, r);
	if (body == NULL)
		return;
	/* Jellyfin checks the device fields first, then the name. */
	if (!device_fields_ok(c)) {
		json_object_put(body);
		http_respond_text(r, 400, "The Authorization header must name the Client, "
				  "Device, DeviceId and Version.");
		return;
	}
	given = reqjson_str(body, "Username");
	pw = reqjson_str(body, "Pw");
	if (pw == NULL)
		pw = "";        /* a user without a password logs in with none */
	if (given == NULL || authhdr_is_blank(&(struct authhdr_value){ given, strlen(given), true }) ||
	    strlen(given) > STORE_NAME_MAX || strlen(pw) > ACCOUNT_PASSWORD_MAX) {
		json_object_put(body);
		http_respond_text(r, 400, "Username is required.");
		return;
	}
	/* the name outlives the body, which is freed as soon as the password
	 * has been checked */
	snprintf(name, sizeof(name), "%s", given);
	st = store_user_by_name(app->store, name, &user);
	if (st != STORE_OK && st != STORE_NOT_FOUND) {
		json_object_put(body);
		handle_store_failure(r, st);
		return;
	}
	/* a locked user is refused without even looking at the password: no
	 * guess made while locked counts, or tells anything */
	ok = st == STORE_OK && !user.locked && account_verify(&user, pw);
	if (st != STORE_OK)
		(void)account_verify(NULL, pw);         /* as long as for a real user */
	if (ok && account_needs_rehash(&user))
		upgrade_hash(app, &user, pw);
	json_object_put(body);      /* holds the password: done with it */
	if (!ok) {
		login_refused(app, c, r, st == STORE_OK ? &user : NULL, name);
		return;
	}
	if (user.is_disabled) {
		/* Jellyfin's SecurityException: the password was right, the
		 * account is not allowed in */
		log_msg(LOG_WARN, "login_refused", "disabled user %s tried to log in", user.name);
		audit_login(app, c, r, "login.disabled", "Warning", user.name);
		http_respond_text(r, 403, "Error processing request.");
		return;
	}
	token_generate(token);
	token_digest(app->keys, token, TOKEN_HEX_LEN, digest);
	session = (struct store_session_new){
		.user_id = user.id, .digest = digest,
		.client = field(&c->hdr.client), .device_name = field(&c->hdr.device),
		.device_id = field(&c->hdr.device_id), .app_version = field(&c->hdr.version),
	};
	st = store_session_create(app->store, &session);
	if (st == STORE_OK)
		throttle_good(digest, true);    /* a new session is never throttled */
	sid = st == STORE_OK ? app_server_id(app) : NULL;
	if (sid == NULL) {
		sodium_memzero(token, sizeof(token));
		handle_store_failure(r, st == STORE_OK ? STORE_UNAVAILABLE : st);
		return;
	}
	log_msg(LOG_INFO, "login", "user %s logged in", user.name);
	audit_login(app, c, r, "login", "Information", user.name);
	opts = (struct render_user_opts){ sid, app->cfg->login_attempts, r->camel_case };
	result = render_user_login(&opts, &user, &session, r->remote_addr, token);
	sodium_memzero(token, sizeof(token));
	handle_send_json(r, 200, result);
}

void handle_logout(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	enum store_status st;

	(void)arg;
	/* an API key has no session to end */
	if (c->who.kind == STORE_PRINCIPAL_SESSION) {
		st = store_session_delete(app->store, c->who.id);
		if (st != STORE_OK) {
			handle_store_failure(r, st);
			return;
		}
	}
	http_respond_empty(r, 204);
}
