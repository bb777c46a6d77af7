/*
 * Unit tests for src/render_user.c: the user DTOs byte for byte.  The
 * golden text was captured from what keyfin answered before the renderer
 * had a module of its own; Jellyfin's clients read these fields.
 */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/render_user.h"

#define SERVER_ID "5e1f0000aaaabbbbccccddddeeeeffff"

/* An administrator with a password, seen lately, two failures behind. */
static struct store_user user_a(void)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	strcpy(u.id, "0123456789abcdef0123456789abcdef");
	strcpy(u.name, "admin");
	strcpy(u.password_hash, "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
	u.is_admin = true;
	u.last_login_us = 1795428000123456LL;
	u.last_activity_us = 1795428060000000LL;
	u.failed_logins = 2;
	return u;
}

/* No password, never seen, disabled, hidden, locked; a name to escape. */
static struct store_user user_b(void)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	strcpy(u.id, "fedcba9876543210fedcba9876543210");
	strcpy(u.name, "Zo\xc3\xab \"the\" <b>\\/");
	u.is_disabled = true;
	u.is_hidden = true;
	u.locked = true;
	return u;
}

static const struct store_session_new session_a = {
	.user_id = "0123456789abcdef0123456789abcdef", .digest = NULL,
	.client = "Jellyfin Web", .device_name = "Firefox \"Nightly\"",
	.device_id = "TW96aWxsYS81LjA", .app_version = "10.11.0",
};

#define USER_A_PASCAL \
	"{\"Name\":\"admin\",\"ServerId\":\"5e1f0000aaaabbbbccccddddeeeeffff\"," \
	"\"Id\":\"0123456789abcdef0123456789abcdef\",\"HasPassword\":true," \
	"\"HasConfiguredPassword\":true,\"HasConfiguredEasyPassword\":false," \
	"\"EnableAutoLogin\":false,\"LastLoginDate\":\"2026-11-23T10:00:00.1234560Z\"," \
	"\"LastActivityDate\":\"2026-11-23T10:01:00.0000000Z\"," \
	"\"Configuration\":{\"PlayDefaultAudioTrack\":true," \
	"\"SubtitleLanguagePreference\":\"\",\"DisplayMissingEpisodes\":false," \
	"\"GroupedFolders\":[],\"SubtitleMode\":\"Default\"," \
	"\"DisplayCollectionsView\":false,\"EnableLocalPassword\":false," \
	"\"OrderedViews\":[],\"LatestItemsExcludes\":[],\"MyMediaExcludes\":[]," \
	"\"HidePlayedInLatest\":true,\"RememberAudioSelections\":true," \
	"\"RememberSubtitleSelections\":true,\"EnableNextEpisodeAutoPlay\":true," \
	"\"CastReceiverId\":\"F007D354\"},\"Policy\":{\"IsAdministrator\":true," \
	"\"IsHidden\":false,\"EnableCollectionManagement\":false," \
	"\"EnableSubtitleManagement\":false,\"EnableLyricManagement\":false," \
	"\"IsDisabled\":false,\"BlockedTags\":[],\"AllowedTags\":[]," \
	"\"EnableUserPreferenceAccess\":true,\"AccessSchedules\":[]," \
	"\"BlockUnratedItems\":[],\"EnableRemoteControlOfOtherUsers\":true," \
	"\"EnableSharedDeviceControl\":true,\"EnableRemoteAccess\":true," \
	"\"EnableLiveTvManagement\":false,\"EnableLiveTvAccess\":true," \
	"\"EnableMediaPlayback\":true,\"EnableAudioPlaybackTranscoding\":true," \
	"\"EnableVideoPlaybackTranscoding\":true,\"EnablePlaybackRemuxing\":true," \
	"\"ForceRemoteSourceTranscoding\":false,\"EnableContentDeletion\":true," \
	"\"EnableContentDeletionFromFolders\":[],\"EnableContentDownloading\":true," \
	"\"EnableSyncTranscoding\":true,\"EnableMediaConversion\":true," \
	"\"EnabledDevices\":[],\"EnableAllDevices\":true,\"EnabledChannels\":[]," \
	"\"EnableAllChannels\":true,\"EnabledFolders\":[],\"EnableAllFolders\":true," \
	"\"InvalidLoginAttemptCount\":2,\"LoginAttemptsBeforeLockout\":5," \
	"\"MaxActiveSessions\":0,\"EnablePublicSharing\":true,\"BlockedMediaFolders\":[]," \
	"\"BlockedChannels\":[],\"RemoteClientBitrateLimit\":0," \
	"\"AuthenticationProviderId\":\"Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider\"," \
	"\"PasswordResetProviderId\":\"Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider\"," \
	"\"SyncPlayAccess\":\"CreateAndJoinGroups\"}}"

#define USER_A_CAMEL \
	"{\"name\":\"admin\",\"serverId\":\"5e1f0000aaaabbbbccccddddeeeeffff\"," \
	"\"id\":\"0123456789abcdef0123456789abcdef\",\"hasPassword\":true," \
	"\"hasConfiguredPassword\":true,\"hasConfiguredEasyPassword\":false," \
	"\"enableAutoLogin\":false,\"lastLoginDate\":\"2026-11-23T10:00:00.1234560Z\"," \
	"\"lastActivityDate\":\"2026-11-23T10:01:00.0000000Z\"," \
	"\"configuration\":{\"playDefaultAudioTrack\":true," \
	"\"subtitleLanguagePreference\":\"\",\"displayMissingEpisodes\":false," \
	"\"groupedFolders\":[],\"subtitleMode\":\"Default\"," \
	"\"displayCollectionsView\":false,\"enableLocalPassword\":false," \
	"\"orderedViews\":[],\"latestItemsExcludes\":[],\"myMediaExcludes\":[]," \
	"\"hidePlayedInLatest\":true,\"rememberAudioSelections\":true," \
	"\"rememberSubtitleSelections\":true,\"enableNextEpisodeAutoPlay\":true," \
	"\"castReceiverId\":\"F007D354\"},\"policy\":{\"isAdministrator\":true," \
	"\"isHidden\":false,\"enableCollectionManagement\":false," \
	"\"enableSubtitleManagement\":false,\"enableLyricManagement\":false," \
	"\"isDisabled\":false,\"blockedTags\":[],\"allowedTags\":[]," \
	"\"enableUserPreferenceAccess\":true,\"accessSchedules\":[]," \
	"\"blockUnratedItems\":[],\"enableRemoteControlOfOtherUsers\":true," \
	"\"enableSharedDeviceControl\":true,\"enableRemoteAccess\":true," \
	"\"enableLiveTvManagement\":false,\"enableLiveTvAccess\":true," \
	"\"enableMediaPlayback\":true,\"enableAudioPlaybackTranscoding\":true," \
	"\"enableVideoPlaybackTranscoding\":true,\"enablePlaybackRemuxing\":true," \
	"\"forceRemoteSourceTranscoding\":false,\"enableContentDeletion\":true," \
	"\"enableContentDeletionFromFolders\":[],\"enableContentDownloading\":true," \
	"\"enableSyncTranscoding\":true,\"enableMediaConversion\":true," \
	"\"enabledDevices\":[],\"enableAllDevices\":true,\"enabledChannels\":[]," \
	"\"enableAllChannels\":true,\"enabledFolders\":[],\"enableAllFolders\":true," \
	"\"invalidLoginAttemptCount\":2,\"loginAttemptsBeforeLockout\":5," \
	"\"maxActiveSessions\":0,\"enablePublicSharing\":true,\"blockedMediaFolders\":[]," \
	"\"blockedChannels\":[],\"remoteClientBitrateLimit\":0," \
	"\"authenticationProviderId\":\"Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider\"," \
	"\"passwordResetProviderId\":\"Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider\"," \
	"\"syncPlayAccess\":\"CreateAndJoinGroups\"}}"

#define USER_B_PASCAL \
	"{\"Name\":\"Zo\xc3\xab" " \\\"the\\\" <b>\\\\/\"," \
	"\"ServerId\":\"5e1f0000aaaabbbbccccddddeeeeffff\"," \
	"\"Id\":\"fedcba9876543210fedcba9876543210\",\"HasPassword\":false," \
	"\"HasConfiguredPassword\":false,\"HasConfiguredEasyPassword\":false," \
	"\"EnableAutoLogin\":false,\"Configuration\":{\"PlayDefaultAudioTrack\":true," \
	"\"SubtitleLanguagePreference\":\"\",\"DisplayMissingEpisodes\":false," \
	"\"GroupedFolders\":[],\"SubtitleMode\":\"Default\"," \
	"\"DisplayCollectionsView\":false,\"EnableLocalPassword\":false," \
	"\"OrderedViews\":[],\"LatestItemsExcludes\":[],\"MyMediaExcludes\":[]," \
	"\"HidePlayedInLatest\":true,\"RememberAudioSelections\":true," \
	"\"RememberSubtitleSelections\":true,\"EnableNextEpisodeAutoPlay\":true," \
	"\"CastReceiverId\":\"F007D354\"},\"Policy\":{\"IsAdministrator\":false," \
	"\"IsHidden\":true,\"EnableCollectionManagement\":false," \
	"\"EnableSubtitleManagement\":false,\"EnableLyricManagement\":false," \
	"\"IsDisabled\":true,\"BlockedTags\":[],\"AllowedTags\":[]," \
	"\"EnableUserPreferenceAccess\":true,\"AccessSchedules\":[]," \
	"\"BlockUnratedItems\":[],\"EnableRemoteControlOfOtherUsers\":false," \
	"\"EnableSharedDeviceControl\":true,\"EnableRemoteAccess\":true," \
	"\"EnableLiveTvManagement\":false,\"EnableLiveTvAccess\":true," \
	"\"EnableMediaPlayback\":true,\"EnableAudioPlaybackTranscoding\":true," \
	"\"EnableVideoPlaybackTranscoding\":true,\"EnablePlaybackRemuxing\":true," \
	"\"ForceRemoteSourceTranscoding\":false,\"EnableContentDeletion\":false," \
	"\"EnableContentDeletionFromFolders\":[],\"EnableContentDownloading\":true," \
	"\"EnableSyncTranscoding\":true,\"EnableMediaConversion\":true," \
	"\"EnabledDevices\":[],\"EnableAllDevices\":true,\"EnabledChannels\":[]," \
	"\"EnableAllChannels\":true,\"EnabledFolders\":[],\"EnableAllFolders\":true," \
	"\"InvalidLoginAttemptCount\":0,\"LoginAttemptsBeforeLockout\":-1," \
	"\"MaxActiveSessions\":0,\"EnablePublicSharing\":true,\"BlockedMediaFolders\":[]," \
	"\"BlockedChannels\":[],\"RemoteClientBitrateLimit\":0," \
	"\"AuthenticationProviderId\":\"Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider\"," \
	"\"PasswordResetProviderId\":\"Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider\"," \
	"\"SyncPlayAccess\":\"CreateAndJoinGroups\"}}"

#define USER_B_CAMEL \
	"{\"name\":\"Zo\xc3\xab" " \\\"the\\\" <b>\\\\/\"," \
	"\"serverId\":\"5e1f0000aaaabbbbccccddddeeeeffff\"," \
	"\"id\":\"fedcba9876543210fedcba9876543210\",\"hasPassword\":false," \
	"\"hasConfiguredPassword\":false,\"hasConfiguredEasyPassword\":false," \
	"\"enableAutoLogin\":false,\"configuration\":{\"playDefaultAudioTrack\":true," \
	"\"subtitleLanguagePreference\":\"\",\"displayMissingEpisodes\":false," \
	"\"groupedFolders\":[],\"subtitleMode\":\"Default\"," \
	"\"displayCollectionsView\":false,\"enableLocalPassword\":false," \
	"\"orderedViews\":[],\"latestItemsExcludes\":[],\"myMediaExcludes\":[]," \
	"\"hidePlayedInLatest\":true,\"rememberAudioSelections\":true," \
	"\"rememberSubtitleSelections\":true,\"enableNextEpisodeAutoPlay\":true," \
	"\"castReceiverId\":\"F007D354\"},\"policy\":{\"isAdministrator\":false," \
	"\"isHidden\":true,\"enableCollectionManagement\":false," \
	"\"enableSubtitleManagement\":false,\"enableLyricManagement\":false," \
	"\"isDisabled\":true,\"blockedTags\":[],\"allowedTags\":[]," \
	"\"enableUserPreferenceAccess\":true,\"accessSchedules\":[]," \
	"\"blockUnratedItems\":[],\"enableRemoteControlOfOtherUsers\":false," \
	"\"enableSharedDeviceControl\":true,\"enableRemoteAccess\":true," \
	"\"enableLiveTvManagement\":false,\"enableLiveTvAccess\":true," \
	"\"enableMediaPlayback\":true,\"enableAudioPlaybackTranscoding\":true," \
	"\"enableVideoPlaybackTranscoding\":true,\"enablePlaybackRemuxing\":true," \
	"\"forceRemoteSourceTranscoding\":false,\"enableContentDeletion\":false," \
	"\"enableContentDeletionFromFolders\":[],\"enableContentDownloading\":true," \
	"\"enableSyncTranscoding\":true,\"enableMediaConversion\":true," \
	"\"enabledDevices\":[],\"enableAllDevices\":true,\"enabledChannels\":[]," \
	"\"enableAllChannels\":true,\"enabledFolders\":[],\"enableAllFolders\":true," \
	"\"invalidLoginAttemptCount\":0,\"loginAttemptsBeforeLockout\":-1," \
	"\"maxActiveSessions\":0,\"enablePublicSharing\":true,\"blockedMediaFolders\":[]," \
	"\"blockedChannels\":[],\"remoteClientBitrateLimit\":0," \
	"\"authenticationProviderId\":\"Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider\"," \
	"\"passwordResetProviderId\":\"Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider\"," \
	"\"syncPlayAccess\":\"CreateAndJoinGroups\"}}"

#define SESSION_A_PASCAL \
	"{\"PlayState\":{\"CanSeek\":false,\"IsPaused\":false,\"IsMuted\":false," \
	"\"RepeatMode\":\"RepeatNone\",\"PlaybackOrder\":\"Default\"}," \
	"\"AdditionalUsers\":[],\"Capabilities\":{\"PlayableMediaTypes\":[]," \
	"\"SupportedCommands\":[],\"SupportsMediaControl\":false," \
	"\"SupportsPersistentIdentifier\":true},\"RemoteEndPoint\":\"192.0.2.7\"," \
	"\"PlayableMediaTypes\":[],\"Id\":\"3b4e301599e208d4ee7e3bd663a9f517\"," \
	"\"UserId\":\"0123456789abcdef0123456789abcdef\",\"UserName\":\"admin\"," \
	"\"Client\":\"Jellyfin Web\"," \
	"\"LastActivityDate\":\"2026-11-23T10:01:00.0000000Z\"," \
	"\"LastPlaybackCheckIn\":\"0001-01-01T00:00:00.0000000Z\"," \
	"\"DeviceName\":\"Firefox \\\"Nightly\\\"\",\"DeviceId\":\"TW96aWxsYS81LjA\"," \
	"\"ApplicationVersion\":\"10.11.0\",\"IsActive\":true," \
	"\"SupportsMediaControl\":false,\"SupportsRemoteControl\":false," \
	"\"NowPlayingQueue\":[],\"NowPlayingQueueFullItems\":[]," \
	"\"HasCustomDeviceName\":false,\"ServerId\":\"5e1f0000aaaabbbbccccddddeeeeffff\"," \
	"\"SupportedCommands\":[]}"

#define SESSION_A_CAMEL \
	"{\"playState\":{\"canSeek\":false,\"isPaused\":false,\"isMuted\":false," \
	"\"repeatMode\":\"RepeatNone\",\"playbackOrder\":\"Default\"}," \
	"\"additionalUsers\":[],\"capabilities\":{\"playableMediaTypes\":[]," \
	"\"supportedCommands\":[],\"supportsMediaControl\":false," \
	"\"supportsPersistentIdentifier\":true},\"remoteEndPoint\":\"\"," \
	"\"playableMediaTypes\":[],\"id\":\"3b4e301599e208d4ee7e3bd663a9f517\"," \
	"\"userId\":\"0123456789abcdef0123456789abcdef\",\"userName\":\"admin\"," \
	"\"client\":\"Jellyfin Web\"," \
	"\"lastActivityDate\":\"2026-11-23T10:01:00.0000000Z\"," \
	"\"lastPlaybackCheckIn\":\"0001-01-01T00:00:00.0000000Z\"," \
	"\"deviceName\":\"Firefox \\\"Nightly\\\"\",\"deviceId\":\"TW96aWxsYS81LjA\"," \
	"\"applicationVersion\":\"10.11.0\",\"isActive\":true," \
	"\"supportsMediaControl\":false,\"supportsRemoteControl\":false," \
	"\"nowPlayingQueue\":[],\"nowPlayingQueueFullItems\":[]," \
	"\"hasCustomDeviceName\":false,\"serverId\":\"5e1f0000aaaabbbbccccddddeeeeffff\"," \
	"\"supportedCommands\":[]}"

/* Serialise as handle_send_json does, compare, free. */
static void check(json_object *o, const char *want)
{
	assert_string_equal(json_object_to_json_string_ext(
				    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			    want);
	json_object_put(o);
}

static void test_user_dto(void **state)
{
	struct render_user_opts pascal = { SERVER_ID, 5, false }, camel = { SERVER_ID, 5, true };
	struct store_user a = user_a();

	(void)state;
	check(render_user_dto(&pascal, &a), USER_A_PASCAL);
	check(render_user_dto(&camel, &a), USER_A_CAMEL);
}

/* Dates left out, no password, and lockout off: -1 as in Jellyfin. */
static void test_user_dto_edges(void **state)
{
	struct render_user_opts pascal = { SERVER_ID, 0, false }, camel = { SERVER_ID, -3, true };
	struct store_user b = user_b();

	(void)state;
	check(render_user_dto(&pascal, &b), USER_B_PASCAL);
	check(render_user_dto(&camel, &b), USER_B_CAMEL);
}

static void test_session(void **state)
{
	struct render_user_opts pascal = { SERVER_ID, 5, false }, camel = { SERVER_ID, 5, true };
	struct store_user a = user_a();

	(void)state;
	check(render_user_session(&pascal, &a, &session_a, "192.0.2.7"), SESSION_A_PASCAL);
	/* no address known: an empty RemoteEndPoint, never a crash */
	check(render_user_session(&camel, &a, &session_a, NULL), SESSION_A_CAMEL);
}

/* The session Id is the device's, whatever else differs. */
static void test_session_id(void **state)
{
	struct render_user_opts camel = { SERVER_ID, 5, true };
	struct store_session_new other = session_a;
	struct store_user a = user_a(), b = user_b();
	json_object *one = render_user_session(&camel, &a, &session_a, NULL);
	json_object *two, *three;

	(void)state;
	other.client = "Another client";
	two = render_user_session(&camel, &b, &other, "192.0.2.8");
	other.device_id = "another device";
	three = render_user_session(&camel, &a, &other, NULL);
	assert_string_equal(json_object_get_string(json_object_object_get(one, "id")),
			    json_object_get_string(json_object_object_get(two, "id")));
	assert_string_not_equal(json_object_get_string(json_object_object_get(one, "id")),
				json_object_get_string(json_object_object_get(three, "id")));
	assert_int_equal(strlen(json_object_get_string(json_object_object_get(three, "id"))), 32);
	json_object_put(one);
	json_object_put(two);
	json_object_put(three);
}

static void test_login(void **state)
{
	struct render_user_opts camel = { SERVER_ID, 5, true };
	struct store_user a = user_a();

	(void)state;
	check(render_user_login(&camel, &a, &session_a, NULL, "00112233445566778899aabbccddeeff"),
	      "{\"user\":" USER_A_CAMEL ",\"sessionInfo\":" SESSION_A_CAMEL
	      ",\"accessToken\":\"00112233445566778899aabbccddeeff\""
	      ",\"serverId\":\"" SERVER_ID "\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_dto),
		cmocka_unit_test(test_user_dto_edges),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_session_id),
		cmocka_unit_test(test_login),
	};

	return cmocka_run_group_tests_name("render_user", tests, NULL, NULL);
}
