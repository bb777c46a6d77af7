/* Unit tests for src/front.c: what front mode forwards to Jellyfin. */
#include "cmocka_prelude.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfin/authhdr.h"
#include "keyfin/front.h"

static void check_strip(const char *uri, const char *want, bool want_changed)
{
	char out[256];
	bool changed = !want_changed;
	long n = front_strip_uri(uri, out, sizeof(out), &changed);

	assert_int_equal(n, (long)strlen(want));
	assert_string_equal(out, want);
	assert_int_equal(changed, want_changed);
}

static void test_strip(void **state)
{
	(void)state;
	check_strip("/System/Info", "/System/Info", false);
	check_strip("/System/Info?", "/System/Info?", false);
	check_strip("/System/Info?x=1", "/System/Info?x=1", false);
	check_strip("/System/Info?api_key=k", "/System/Info", true);
	check_strip("/System/Info?ApiKey=k", "/System/Info", true);
	check_strip("/System/Info?APIKEY=k&API_KEY=k", "/System/Info", true);
	check_strip("/x?a=1&api_key=k&b=2", "/x?a=1&b=2", true);
	check_strip("/x?api_key=k&a=1", "/x?a=1", true);
	check_strip("/x?a=1&api_key=k", "/x?a=1", true);
	check_strip("/x?api_key=k&api_key=j&ApiKey=i", "/x", true);    /* every one */
	check_strip("/x?api%5Fkey=k&a=1", "/x?a=1", true);               /* the decoded name */
	check_strip("/x?Api%4Bey=k", "/x", true);
	check_strip("/x?api_key", "/x", true);                           /* no value */
	check_strip("/x?api_key=", "/x", true);
	check_strip("/x?api_keys=k&xapi_key=k&api+key=k", "/x?api_keys=k&xapi_key=k&api+key=k", false);
	check_strip("/x?a=1&&b=2&api_key=k", "/x?a=1&&b=2", true);       /* empty pieces kept */
	check_strip("/socket?api_key=k&deviceId=TW96", "/socket?deviceId=TW96", true);
	check_strip("/a%2Fb?q=%20&ApiKey=k", "/a%2Fb?q=%20", true);      /* bytes as they were */
}

static void test_strip_too_long(void **state)
{
	char small[8];
	bool changed;

	(void)state;
	assert_int_equal(front_strip_uri("/0123456789", small, sizeof(small), &changed), -1);
	assert_int_equal(front_strip_uri("/a?b=1&c=2", small, sizeof(small), &changed), -1);
	assert_int_equal(front_strip_uri("/a?api_key=0123456789", small, sizeof(small), &changed), 2);
	assert_string_equal(small, "/a");
}

#define AMBIGUOUS(p) front_path_ambiguous(p, strlen(p))

static void test_ambiguous(void **state)
{
	(void)state;
	assert_false(AMBIGUOUS("/"));
	assert_false(AMBIGUOUS("/System/Info"));
	assert_false(AMBIGUOUS("/Items/abc.def/Images"));
	assert_false(AMBIGUOUS("/Items/..x/a"));
	assert_false(AMBIGUOUS("/Artists/Sigur R\xc3\xb3s"));            /* other UTF-8 is fine */
	assert_true(AMBIGUOUS("/Items/../System"));
	assert_true(AMBIGUOUS("/Items/./System"));
	assert_true(AMBIGUOUS("/Items/.."));
	assert_true(AMBIGUOUS("//Auth/Keys"));
	assert_true(AMBIGUOUS("/Items//x"));
	assert_true(AMBIGUOUS("/Items\\..\\Auth"));
	assert_true(AMBIGUOUS("/Auth/Key\xc5\xbf"));                    /* long s: S */
	assert_true(AMBIGUOUS("/\xc4\xb1tems"));                        /* dotless i: I */
	assert_true(AMBIGUOUS("Items"));
	assert_true(front_path_ambiguous("/a\0b", 4));
}

#define KEY_LIST(p) front_path_is_key_list(p, strlen(p))

static void test_key_list(void **state)
{
	(void)state;
	assert_true(KEY_LIST("/Auth/Keys"));
	assert_true(KEY_LIST("/auth/keys"));
	assert_true(KEY_LIST("/AUTH/KEYS/0123"));
	assert_true(KEY_LIST("/emby/Auth/Keys"));
	assert_true(KEY_LIST("/jellyfin/Auth/Keys"));                    /* a base URL */
	assert_false(KEY_LIST("/Auth"));
	assert_false(KEY_LIST("/Auth/Providers"));
	assert_false(KEY_LIST("/Keys/Auth"));
	assert_false(KEY_LIST("/Auth/KeysX"));
	assert_false(KEY_LIST("/System/Info"));
}

static void parse(const char *header, char *scratch, size_t len, struct authhdr *out)
{
	assert_int_equal(authhdr_parse(header, strlen(header), true, scratch, len, out), AUTHHDR_OK);
}

static void test_authorization(void **state)
{
	static char scratch[AUTHHDR_MAX_INPUT * 2];
	struct authhdr none = { 0 }, h;
	char out[512];

	(void)state;
	assert_int_equal(front_authorization(out, sizeof(out), "abc", 3, &none), 24);
	assert_string_equal(out, "MediaBrowser Token=\"abc\"");
	assert_int_equal(front_authorization(out, sizeof(out), NULL, 0, &none), 0);
	assert_string_equal(out, "");

	parse("MediaBrowser Client=\"Heimdall\", Device=\"My+Box\", DeviceId=\"a%3Db\", "
	      "Version=\"1\", Token=\"old\", UserId=\"u\"", scratch, sizeof(scratch), &h);
	front_authorization(out, sizeof(out), "k\"e,y=", 6, &h);
	assert_string_equal(out, "MediaBrowser Token=\"k%22e%2Cy%3D\", Client=\"Heimdall\", "
			    "Device=\"My%20Box\", DeviceId=\"a%3Db\", Version=\"1\"");
	/* without a token: the client fields alone (a login) */
	front_authorization(out, sizeof(out), NULL, 0, &h);
	assert_string_equal(out, "MediaBrowser Client=\"Heimdall\", Device=\"My%20Box\", "
			    "DeviceId=\"a%3Db\", Version=\"1\"");
	/* an empty value stays an empty value */
	parse("Emby Client=\"\"", scratch, sizeof(scratch), &h);
	front_authorization(out, sizeof(out), NULL, 0, &h);
	assert_string_equal(out, "MediaBrowser Client=\"\"");
	/* non-ASCII and control bytes, encoded */
	parse("MediaBrowser Device=\"H%C3%B6r%09b\"", scratch, sizeof(scratch), &h);
	front_authorization(out, sizeof(out), NULL, 0, &h);
	assert_string_equal(out, "MediaBrowser Device=\"H%C3%B6r%09b\"");
	/* does not fit */
	assert_int_equal(front_authorization(out, 20, "abcdefghij", 10, &none), -1);
	assert_int_equal(front_authorization(out, 12, "a", 1, &none), -1);
}

static void test_scheme(void **state)
{
	(void)state;
	assert_true(front_scheme_is("MediaBrowser Token=\"x\"", "MediaBrowser"));
	assert_true(front_scheme_is("mediabrowser  x", "MediaBrowser"));
	assert_false(front_scheme_is("MediaBrowser", "MediaBrowser"));
	assert_false(front_scheme_is("MediaBrowserX a", "MediaBrowser"));
	assert_false(front_scheme_is("Bearer x", "MediaBrowser"));
	assert_true(front_scheme_is("EMBY Token=x", "Emby"));
}

static char dir[] = "/tmp/keyfin-test-front-XXXXXX";

static const char *key_file(const char *content, mode_t mode)
{
	static char p[64];
	int fd;

	snprintf(p, sizeof(p), "%s/key", dir);
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static void test_upstream_load(void **state)
{
	struct front_upstream up;
	char err[256];
	char long_key[FRONT_KEY_MAX + 3];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(front_upstream_load(&up, key_file("0123456789abcdef0123456789abcdef\n", 0600),
					     err, sizeof(err)), 0);
	assert_true(up.loaded);
	assert_int_equal(up.len, 32);
	assert_string_equal(up.key, "0123456789abcdef0123456789abcdef");
	assert_int_equal(front_upstream_load(&up, key_file("abc\r\n", 0400), err, sizeof(err)), 0);
	assert_string_equal(up.key, "abc");
	/* group or others may read or write it */
	for (mode_t m = 0; m < 6; m++) {
		static const mode_t loose[] = { 0640, 0604, 0644, 0620, 0602, 0660 };

		assert_int_equal(front_upstream_load(&up, key_file("abc\n", loose[m]), err,
						     sizeof(err)), -1);
		assert_non_null(strstr(err, "chmod 600"));
		assert_false(up.loaded);
	}
	/* one key and nothing else, never echoed */
	const char *bad[] = { "", "\n", "two words\n", "abc\n\n", "ab\"c", "abc def" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(front_upstream_load(&up, key_file(bad[i], 0600), err, sizeof(err)), -1);
		assert_non_null(strstr(err, "one Jellyfin API key"));
	}
	memset(long_key, 'a', sizeof(long_key) - 2);
	long_key[sizeof(long_key) - 2] = '\n';
	long_key[sizeof(long_key) - 1] = '\0';
	assert_int_equal(front_upstream_load(&up, key_file(long_key, 0600), err, sizeof(err)), -1);
	assert_int_equal(front_upstream_load(&up, "/nonexistent/key", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	/* a symbolic link is refused */
	{
		char link[80];

		snprintf(link, sizeof(link), "%s/link", dir);
		key_file("abc\n", 0600);
		assert_int_equal(symlink("key", link), 0);
		assert_int_equal(front_upstream_load(&up, link, err, sizeof(err)), -1);
		unlink(link);
	}
	{
		char p[64];

		snprintf(p, sizeof(p), "%s/key", dir);
		unlink(p);
		rmdir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_strip_too_long),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_key_list),
		cmocka_unit_test(test_authorization),
		cmocka_unit_test(test_scheme),
		cmocka_unit_test(test_upstream_load),
	};

	return cmocka_run_group_tests_name("front", tests, NULL, NULL);
}
