/* /Users/..., /Sessions/Logout: enough of Jellyfin's user API for an admin
 * to log in, manage users and keys, as the dashboard and the SDKs do. */
#include "keyfin/handle.h"

#include <stdio.h>
#include <string.h>

#include "keyfin/account.h"
#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/render.h"
#include "keyfin/text.h"

/* Jellyfin's UserPolicy for the fields keyfin keeps; the rest carry
 * Jellyfin's defaults so clients that read them find what they expect. */
static json_object *render_policy(const struct store_user *u, int lockout, bool camel)
{
	json_object *p = json_object_new_object();

	render_bool(p, camel, "IsAdministrator", u->is_admin);
	render_bool(p, camel, "IsHidden", u->is_hidden);
	render_bool(p, camel, "EnableCollectionManagement", false);
	render_bool(p, camel, "EnableSubtitleManagement", false);
	render_bool(p, camel, "EnableLyricManagement", false);
	render_bool(p, camel, "IsDisabled", u->is_disabled);
	render_add(p, camel, "BlockedTags", json_object_new_array());
	render_add(p, camel, "AllowedTags", json_object_new_array());
	render_bool(p, camel, "EnableUserPreferenceAccess", true);
	render_add(p, camel, "AccessSchedules", json_object_new_array());
	render_add(p, camel, "BlockUnratedItems", json_object_new_array());
	render_bool(p, camel, "EnableRemoteControlOfOtherUsers", u->is_admin);
	render_bool(p, camel, "EnableSharedDeviceControl", true);
	render_bool(p, camel, "EnableRemoteAccess", true);
	render_bool(p, camel, "EnableLiveTvManagement", false);
	render_bool(p, camel, "EnableLiveTvAccess", true);
	render_bool(p, camel, "EnableMediaPlayback", true);
	render_bool(p, camel, "EnableAudioPlaybackTranscoding", true);
	render_bool(p, camel, "EnableVideoPlaybackTranscoding", true);
	render_bool(p, camel, "EnablePlaybackRemuxing", true);
	render_bool(p, camel, "ForceRemoteSourceTranscoding", false);
	render_bool(p, camel, "EnableContentDeletion", u->is_admin);
	render_add(p, camel, "EnableContentDeletionFromFolders", json_object_new_array());
	render_bool(p, camel, "EnableContentDownloading", true);
	render_bool(p, camel, "EnableSyncTranscoding", true);
	render_bool(p, camel, "EnableMediaConversion", true);
	render_add(p, camel, "EnabledDevices", json_object_new_array());
	render_bool(p, camel, "EnableAllDevices", true);
	render_add(p, camel, "EnabledChannels", json_object_new_array());
	render_bool(p, camel, "EnableAllChannels", true);
	render_add(p, camel, "EnabledFolders", json_object_new_array());
	render_bool(p, camel, "EnableAllFolders", true);
	render_int(p, camel, "InvalidLoginAttemptCount", u->failed_logins);
	render_int(p, camel, "LoginAttemptsBeforeLockout", lockout > 0 ? lockout : -1);
	render_int(p, camel, "MaxActiveSessions", 0);
	render_bool(p, camel, "EnablePublicSharing", true);
	render_add(p, camel, "BlockedMediaFolders", json_object_new_array());
	render_add(p, camel, "BlockedChannels", json_object_new_array());
	render_int(p, camel, "RemoteClientBitrateLimit", 0);
	render_str(p, camel, "AuthenticationProviderId",
		   "Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider");
	render_str(p, camel, "PasswordResetProviderId",
		   "Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider");
	render_str(p, camel, "SyncPlayAccess", "CreateAndJoinGroups");
	return p;
}

static json_object *render_configuration(bool camel)
{
	json_object *c = json_object_new_object();

	render_bool(c, camel, "PlayDefaultAudioTrack", true);
	render_str(c, camel, "SubtitleLanguagePreference", "");
	render_bool(c, camel, "DisplayMissingEpisodes", false);
	render_add(c, camel, "GroupedFolders", json_object_new_array());
	render_str(c, camel, "SubtitleMode", "Default");
	render_bool(c, camel, "DisplayCollectionsView", false);
	render_bool(c, camel, "EnableLocalPassword", false);
	render_add(c, camel, "OrderedViews", json_object_new_array());
	render_add(c, camel, "LatestItemsExcludes", json_object_new_array());
	render_add(c, camel, "MyMediaExcludes", json_object_new_array());
	render_bool(c, camel, "HidePlayedInLatest", true);
	render_bool(c, camel, "RememberAudioSelections", true);
	render_bool(c, camel, "RememberSubtitleSelections", true);
	render_bool(c, camel, "EnableNextEpisodeAutoPlay", true);
	render_str(c, camel, "CastReceiverId", "F007D354");   /* a fresh 10.11's default */
	return c;
}

/* UserDto, fields in Jellyfin's order; null ones (ServerName, images) left
 * out as Jellyfin leaves them.  `lockout` is KEYFIN_LOGIN_ATTEMPTS. */
static json_object *render_user(const struct store_user *u, const char *server_id,
				int lockout, bool camel)
{
	json_object *o = json_object_new_object();
	bool has_password = u->password_hash[0] != '\0';

	render_str(o, camel, "Name", u->name);
	render_str(o, camel, "ServerId", server_id);
	render_str(o, camel, "Id", u->id);
	render_bool(o, camel, "HasPassword", has_password);
	render_bool(o, camel, "HasConfiguredPassword", has_password);
	render_bool(o, camel, "HasConfiguredEasyPassword", false);
	render_bool(o, camel, "EnableAutoLogin", false);
	if (u->last_login_us > 0)
		render_date(o, camel, "LastLoginDate", u->last_login_us);
	if (u->last_activity_us > 0)
		render_date(o, camel, "LastActivityDate", u->last_activity_us);
	render_add(o, camel, "Configuration", render_configuration(camel));
	render_add(o, camel, "Policy", render_policy(u, lockout, camel));
	return o;
}

/* Answer with one user, or 503 if the server Id cannot be read. */
static void send_user(struct app *app, struct req *r, const struct store_user *u)
{
	const char *sid = app_server_id(app);

	if (sid == NULL) {
		handle_store_failure(r, STORE_UNAVAILABLE);
		return;
	}
	handle_send_json(r, 200, render_user(u, sid, app->cfg->login_attempts, r->camel_case));
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

/* The text of a header field, or "" when absent. */
static const char *field(const struct authhdr_value *v)
{
	return v->present ? v->ptr : "";
}

static bool field_given(const struct authhdr_value *v)
{
	return v->present && v->len > 0 && !authhdr_is_blank(v);
}

static json_object *render_session(const struct store_user *u, const struct caller *c,
				   const char *server_id, const struct req *r)
{
	bool camel = r->camel_case;
	json_object *s = json_object_new_object();
	json_object *play = json_object_new_object();
	json_object *caps = json_object_new_object();
	char session_id[STORE_ID_LEN + 1];
	unsigned char raw[16];

	render_bool(play, camel, "CanSeek", false);
	render_bool(play, camel, "IsPaused", false);
	render_bool(play, camel, "IsMuted", false);
	render_str(play, camel, "RepeatMode", "RepeatNone");
	render_str(play, camel, "PlaybackOrder", "Default");
	render_add(caps, camel, "PlayableMediaTypes", json_object_new_array());
	render_add(caps, camel, "SupportedCommands", json_object_new_array());
	render_bool(caps, camel, "SupportsMediaControl", false);
	render_bool(caps, camel, "SupportsPersistentIdentifier", true);
	/* Jellyfin's session Id is a hash of the device; any 32 hex will do */
	crypto_generichash(raw, sizeof(raw), (const unsigned char *)field(&c->hdr.device_id),
			   c->hdr.device_id.len, NULL, 0);
	sodium_bin2hex(session_id, sizeof(session_id), raw, sizeof(raw));
	render_add(s, camel, "PlayState", play);
	render_add(s, camel, "AdditionalUsers", json_object_new_array());
	render_add(s, camel, "Capabilities", caps);
	render_str(s, camel, "RemoteEndPoint", r->remote_addr ? r->remote_addr : "");
	render_add(s, camel, "PlayableMediaTypes", json_object_new_array());
	render_str(s, camel, "Id", session_id);
	render_str(s, camel, "UserId", u->id);
	render_str(s, camel, "UserName", u->name);
	render_str(s, camel, "Client", field(&c->hdr.client));
	render_date(s, camel, "LastActivityDate", u->last_activity_us);
	render_date(s, camel, "LastPlaybackCheckIn", 0);
	render_str(s, camel, "DeviceName", field(&c->hdr.device));
	render_str(s, camel, "DeviceId", field(&c->hdr.device_id));
	render_str(s, camel, "ApplicationVersion", field(&c->hdr.version));
	render_bool(s, camel, "IsActive", true);
	render_bool(s, camel, "SupportsMediaControl", false);
	render_bool(s, camel, "SupportsRemoteControl", false);
	render_add(s, camel, "NowPlayingQueue", json_object_new_array());
	render_add(s, camel, "NowPlayingQueueFullItems", json_object_new_array());
	render_bool(s, camel, "HasCustomDeviceName", false);
	render_str(s, camel, "ServerId", server_id);
	render_add(s, camel, "SupportedCommands", json_object_new_array());
	return s;
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
	http_respond_text(r, 401, "Error processing request.");
}

void handle_authenticate(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	char token[TOKEN_HEX_LEN + 1];
	unsigned char digest[TOKEN_DIGEST_LEN];
	struct store_user user;
	struct store_session_new session;
	char name[STORE_NAME_MAX + 1];
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
	sid = st == STORE_OK ? app_server_id(app) : NULL;
	if (sid == NULL) {
		sodium_memzero(token, sizeof(token));
		handle_store_failure(r, st == STORE_OK ? STORE_UNAVAILABLE : st);
		return;
	}
	log_msg(LOG_INFO, "login", "user %s logged in", user.name);
	audit_login(app, c, r, "login", "Information", user.name);
	result = json_object_new_object();
	render_add(result, r->camel_case, "User",
		   render_user(&user, sid, app->cfg->login_attempts, r->camel_case));
	render_add(result, r->camel_case, "SessionInfo", render_session(&user, c, sid, r));
	render_str(result, r->camel_case, "AccessToken", token);
	render_str(result, r->camel_case, "ServerId", sid);
	sodium_memzero(token, sizeof(token));
	handle_send_json(r, 200, result);
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
	const char *server_id;
	int lockout;
	bool camel;
	bool public_only;
};

static int list_user(const struct store_user *u, void *arg)
{
	struct users_ctx *ctx = arg;

	if (ctx->public_only && (u->is_hidden || u->is_disabled))
		return 0;
	json_object_array_add(ctx->list, render_user(u, ctx->server_id, ctx->lockout, ctx->camel));
	return 0;
}

static void send_users(struct app *app, struct req *r, bool public_only)
{
	struct users_ctx ctx = { NULL, app_server_id(app), app->cfg->login_attempts,
				 r->camel_case, public_only };
	enum store_status st;

	if (ctx.server_id == NULL) {
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

void handle_users_delete(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct store_user u;
	enum store_status st;
	bool last;

	if (!load_user(app, r, arg, &u) || !only_admin(app, r, &u, &last))
		return;
	if (last) {
		http_respond_text(r, 400, "There must be at least one administrator.");
		return;
	}
	st = store_user_delete(app->store, u.id);
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
		refuse(r, 403, "There must be at least one user in the system with "
		       "administrative access.");
		return;
	}
	if (u.is_admin && disabled) {
		refuse(r, 403, "Administrators cannot be disabled.");
		return;
	}
	st = store_user_set_policy(app->store, u.id, admin, disabled, hidden);
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
