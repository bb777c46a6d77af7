/* /Users/...: enough of Jellyfin's user API for an admin to manage users,
 * as the dashboard and the SDKs do.  Logging in and out: handle_login.c. */
#include "keyfin/handle.h"

#include <string.h>

#include "keyfin/account.h"
#include "keyfin/log.h"
#include "keyfin/render_user.h"

/* Answer with one user, or 503 if the server Id cannot be read. */
static void send_user(struct app *app, struct req *r, const struct store_user *u)
{
	struct render_user_opts opts = { app_server_id(app), app->cfg->login_attempts,
					 r->camel_case };

	if (opts.server_id == NULL) {
		handle_store_failure(r, STORE_UNAVAILABLE);
		return;
	}
	handle_send_json(r, 200, render_user_dto(&opts, u));
}

/* Accept a user id as Jellyfin does: 32 hex digits, dashes allowed. */
static bool parse_user_id(const char *in, char out[STORE_ID_LEN + 1])
{
	size_t n = 0;

	for (; *in; in++) {
		char ch = *in;

		if (ch == '-')
			continue;
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) || n == STORE_ID_LEN)
			return false;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n == STORE_ID_LEN;
}

/* Record what `c` did; a failure to record is logged, not fatal. */
static void audit(struct app *app, const struct caller *c, const struct req *r,
		  const char *event, const char *severity, const char *target)
{
	char name[64];
	struct store_actor by;

	auth_actor(c, r, name, &by);
	if (store_audit_add(app->store, event, severity, &by, target) != STORE_OK)
		log_msg(LOG_WARN, "audit", "could not record %s", event);
}

/* Load the user `arg` names, or answer 400/404/503 and return false. */
static bool load_user(struct app *app, struct req *r, const char *arg, struct store_user *u)
{
	char id[STORE_ID_LEN + 1];
	enum store_status st;

	if (!parse_user_id(arg, id)) {
		http_respond_text(r, 400, "The user id is not valid.");
		return false;
	}
	st = store_user_by_id(app->store, id, u);
	if (st == STORE_NOT_FOUND) {
		http_respond_text(r, 404, "User not found.");
		return false;
	}
	if (st != STORE_OK) {
		handle_store_failure(r, st);
		return false;
	}
	return true;
}

void handle_users_me(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct store_user u;

	if (c->who.kind == STORE_PRINCIPAL_KEY) {
		/* an API key belongs to no user */
		http_respond_text(r, 400, "The API key is not a user.");
		return;
	}
	if (load_user(app, r, c->who.user_id, &u))
		send_user(app, r, &u);
	(void)arg;
}

void handle_users_get(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct store_user u;
	char id[STORE_ID_LEN + 1];

	/* users see themselves; administrators see everyone */
	if (c->who.kind == STORE_PRINCIPAL_SESSION && !c->who.is_admin &&
	    (!parse_user_id(arg, id) || strcmp(id, c->who.user_id) != 0)) {
		http_respond_empty(r, 403);
		return;
	}
	if (load_user(app, r, arg, &u))
		send_user(app, r, &u);
}

struct users_ctx {
	json_object *list;
	struct render_user_opts opts;
	bool public_only;
};

static int list_user(const struct store_user *u, void *arg)
{
	struct users_ctx *ctx = arg;

	if (ctx->public_only && (u->is_hidden || u->is_disabled))
		return 0;
	json_object_array_add(ctx->list, render_user_dto(&ctx->opts, u));
	return 0;
}

static void send_users(struct app *app, struct req *r, bool public_only)
{
	struct users_ctx ctx = { NULL, { app_server_id(app), app->cfg->login_attempts,
					 r->camel_case }, public_only };
	enum store_status st;

	if (ctx.opts.server_id == NULL) {
		handle_store_failure(r, STORE_UNAVAILABLE);
		return;
	}
	ctx.list = json_object_new_array();
	st = store_user_list(app->store, list_user, &ctx);
	if (st != STORE_OK) {
		json_object_put(ctx.list);
		handle_store_failure(r, st);
		return;
	}
	handle_send_json(r, 200, ctx.list);
}

void handle_users_list(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	(void)c;
	(void)arg;
	send_users(app, r, false);
}

/* The login screen's list: users neither hidden nor disabled (Jellyfin
 * creates users hidden, so usually none). */
void handle_users_public(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	(void)c;
	(void)arg;
	send_users(app, r, true);
}

void handle_users_new(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	json_object *body = handle_json_body(app, r);
	const char *name, *password, *problem;
	struct store_user u;
	enum store_status st;

	(void)arg;
	if (body == NULL)
		return;
	name = reqjson_str(body, "Name");
	password = reqjson_str(body, "Password");
	if (password == NULL)
		password = "";
	problem = name == NULL ? "Name is required." : account_name_problem(name);
	if (problem == NULL && strlen(password) > ACCOUNT_PASSWORD_MAX)
		problem = "The password is too long.";
	if (problem != NULL) {
		json_object_put(body);
		http_respond_text(r, 400, problem);
		return;
	}
	st = account_create(app->store, name, password, false, &u);
	json_object_put(body);
	if (st == STORE_CONFLICT) {
		http_respond_text(r, 400, "A user with that name already exists.");
		return;
	}
	if (st != STORE_OK) {
		handle_store_failure(r, st);
		return;
	}
	log_msg(LOG_INFO, "user_created", "user %s created", u.name);
	audit(app, c, r, "user.create", "Information", u.name);
	send_user(app, r, &u);
}

/* Is `u` the only enabled administrator?  (false, with the answer sent,
 * when the database cannot tell) */
static bool only_admin(struct app *app, struct req *r, const struct store_user *u,
		       bool *only)
{
	enum store_status st;
	int admins = 0;

	*only = false;
	if (!u->is_admin || u->is_disabled)
		return true;
	st = store_count_admins(app->store, &admins);
	if (st != STORE_OK) {
		handle_store_failure(r, st);
		return false;
	}
	*only = admins <= 1;
	return true;
}

/* Jellyfin answers these refusals with a JSON string. */
static void refuse(struct req *r, int status, const char *why)
{
	handle_send_json(r, status, json_object_new_string(why));
}

#define LAST_ADMIN "There must be at least one user in the system with administrative access."

void handle_users_delete(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct store_user u;
	enum store_status st;
	bool last;

	if (!load_user(app, r, arg, &u) || !only_admin(app, r, &u, &last))
		return;
	/* the last administrator: refused here, and by sql/0011_last_admin.sql
	 * when another administrator went at the same moment (CONFLICT) */
	st = last ? STORE_CONFLICT : store_user_delete(app->store, u.id);
	if (st == STORE_CONFLICT) {
		http_respond_text(r, 400, "The user cannot be deleted: " LAST_ADMIN);
		return;
	}
	if (st != STORE_OK && st != STORE_NOT_FOUND) {
		handle_store_failure(r, st);
		return;
	}
	log_msg(LOG_INFO, "user_deleted", "user %s deleted", u.name);
	audit(app, c, r, "user.delete", "Information", u.name);
	http_respond_empty(r, 204);
}

/* The caller's own session, kept when a user's sessions are revoked. */
static int64_t own_session(const struct caller *c)
{
	return c->who.kind == STORE_PRINCIPAL_SESSION ? c->who.id : 0;
}

void handle_users_policy(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct store_user u;
	json_object *body;
	bool admin, disabled, hidden, last;
	enum store_status st;

	if (!load_user(app, r, arg, &u))
		return;
	body = handle_json_body(app, r);
	if (body == NULL)
		return;
	/* the posted policy replaces the old one, as in Jellyfin */
	admin = reqjson_bool(body, "IsAdministrator", false);
	disabled = reqjson_bool(body, "IsDisabled", false);
	hidden = reqjson_bool(body, "IsHidden", u.is_hidden);
	json_object_put(body);
	if (!only_admin(app, r, &u, &last))
		return;
	if (last && !admin) {
		refuse(r, 403, LAST_ADMIN);
		return;
	}
	if (u.is_admin && disabled) {
		refuse(r, 403, "Administrators cannot be disabled.");
		return;
	}
	st = store_user_set_policy(app->store, u.id, admin, disabled, hidden);
	if (st == STORE_CONFLICT) {
		refuse(r, 403, LAST_ADMIN);
		return;
	}
	if (st == STORE_OK && disabled && !u.is_disabled)
		st = store_session_revoke_user(app->store, u.id, own_session(c));
	if (st != STORE_OK) {
		handle_store_failure(r, st == STORE_NOT_FOUND ? STORE_ERROR : st);
		return;
	}
	log_msg(LOG_INFO, "user_policy", "policy of %s changed: admin=%d disabled=%d",
		u.name, admin, disabled);
	audit(app, c, r, "user.policy", "Information", u.name);
	http_respond_empty(r, 204);
}

void handle_users_password(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	char hash[STORE_HASH_MAX + 1];
	struct store_user u;
	json_object *body;
	const char *current, *next;
	bool admin = c->who.kind == STORE_PRINCIPAL_KEY || c->who.is_admin;
	bool self, reset;
	enum store_status st;

	if (!load_user(app, r, arg, &u))
		return;
	self = c->who.kind == STORE_PRINCIPAL_SESSION && strcmp(c->who.user_id, u.id) == 0;
	if (!self && !admin) {
		http_respond_text(r, 403, "User is not allowed to update the password.");
		return;
	}
	body = handle_json_body(app, r);
	if (body == NULL)
		return;
	current = reqjson_str(body, "CurrentPw");
	next = reqjson_str(body, "NewPw");
	reset = reqjson_bool(body, "ResetPassword", false);
	if (reset || next == NULL)
		next = "";
	if (strlen(next) > ACCOUNT_PASSWORD_MAX || (next[0] == '\0' && u.is_admin)) {
		json_object_put(body);
		http_respond_text(r, 400, next[0] ? "The new password is too long."
				  : "Administrators must have a password.");
		return;
	}
	/* everyone proves the current password, except an administrator
	 * changing someone else's (or resetting it) */
	if (!reset && (!admin || self) && !account_verify(&u, current ? current : "")) {
		json_object_put(body);
		http_respond_text(r, 403, "Invalid user or password entered.");
		return;
	}
	st = account_hash(next, hash) == 0 ? store_user_set_password(app->store, u.id, hash)
		: STORE_ERROR;
	json_object_put(body);
	sodium_memzero(hash, sizeof(hash));
	/* a new password ends the user's other sessions; a reset does not */
	if (st == STORE_OK && !reset)
		st = store_session_revoke_user(app->store, u.id, own_session(c));
	if (st != STORE_OK) {
		handle_store_failure(r, st == STORE_NOT_FOUND ? STORE_ERROR : st);
		return;
	}
	log_msg(LOG_INFO, "user_password", "password of %s %s", u.name,
		reset ? "reset" : "changed");
	audit(app, c, r, reset ? "user.password.reset" : "user.password", "Information", u.name);
	http_respond_empty(r, 204);
}
