/* Jellyfin's user DTOs, built with render_'s helpers (see render_user.h). */
#include "keyfin/render_user.h"

#include <string.h>

#include <sodium.h>

#include "keyfin/render.h"

/* Jellyfin's UserPolicy for the fields keyfin keeps; the rest carry
 * Jellyfin's defaults so clients that read them find what they expect. */
static json_object *user_policy(const struct store_user *u, int lockout, bool camel)
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

static json_object *user_configuration(bool camel)
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

/* Null fields (ServerName, images) are left out as Jellyfin leaves them. */
json_object *render_user_dto(const struct render_user_opts *opts, const struct store_user *u)
{
	bool camel = opts->camel;
	json_object *o = json_object_new_object();
	bool has_password = u->password_hash[0] != '\0';

	render_str(o, camel, "Name", u->name);
	render_str(o, camel, "ServerId", opts->server_id);
	render_str(o, camel, "Id", u->id);
	render_bool(o, camel, "HasPassword", has_password);
	render_bool(o, camel, "HasConfiguredPassword", has_password);
	render_bool(o, camel, "HasConfiguredEasyPassword", false);
	render_bool(o, camel, "EnableAutoLogin", false);
	if (u->last_login_us > 0)
		render_date(o, camel, "LastLoginDate", u->last_login_us);
	if (u->last_activity_us > 0)
		render_date(o, camel, "LastActivityDate", u->last_activity_us);
	render_add(o, camel, "Configuration", user_configuration(camel));
	render_add(o, camel, "Policy", user_policy(u, opts->lockout, camel));
	return o;
}

json_object *render_user_session(const struct render_user_opts *opts,
				 const struct store_user *u,
				 const struct store_session_new *session, const char *remote_addr)
{
	bool camel = opts->camel;
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
	/* Jellyfin's session Id is a hash of the device; any 32 hex will do
	 * (the login took the device fields only as text without NUL, so
	 * strlen is the length the header gave) */
	crypto_generichash(raw, sizeof(raw), (const unsigned char *)session->device_id,
			   strlen(session->device_id), NULL, 0);
	sodium_bin2hex(session_id, sizeof(session_id), raw, sizeof(raw));
	render_add(s, camel, "PlayState", play);
	render_add(s, camel, "AdditionalUsers", json_object_new_array());
	render_add(s, camel, "Capabilities", caps);
	render_str(s, camel, "RemoteEndPoint", remote_addr ? remote_addr : "");
	render_add(s, camel, "PlayableMediaTypes", json_object_new_array());
	render_str(s, camel, "Id", session_id);
	render_str(s, camel, "UserId", u->id);
	render_str(s, camel, "UserName", u->name);
	render_str(s, camel, "Client", session->client);
	render_date(s, camel, "LastActivityDate", u->last_activity_us);
	render_date(s, camel, "LastPlaybackCheckIn", 0);
	render_str(s, camel, "DeviceName", session->device_name);
	render_str(s, camel, "DeviceId", session->device_id);
	render_str(s, camel, "ApplicationVersion", session->app_version);
	render_bool(s, camel, "IsActive", true);
	render_bool(s, camel, "SupportsMediaControl", false);
	render_bool(s, camel, "SupportsRemoteControl", false);
	render_add(s, camel, "NowPlayingQueue", json_object_new_array());
	render_add(s, camel, "NowPlayingQueueFullItems", json_object_new_array());
	render_bool(s, camel, "HasCustomDeviceName", false);
	render_str(s, camel, "ServerId", opts->server_id);
	render_add(s, camel, "SupportedCommands", json_object_new_array());
	return s;
}

json_object *render_user_login(const struct render_user_opts *opts, const struct store_user *u,
			       const struct store_session_new *session, const char *remote_addr,
			       const char *token)
{
	json_object *result = json_object_new_object();

	render_add(result, opts->camel, "User", render_user_dto(opts, u));
	render_add(result, opts->camel, "SessionInfo",
		   render_user_session(opts, u, session, remote_addr));
	render_str(result, opts->camel, "AccessToken", token);
	render_str(result, opts->camel, "ServerId", opts->server_id);
	return result;
}
