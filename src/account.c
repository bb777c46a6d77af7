#include "keyfin/account.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include <sodium.h>

#include "keyfin/text.h"

/*
 * Jellyfin's ^[\w\ \-'._@+]+$, where .NET's \w is letters, digits,
 * connector punctuation and non-spacing marks.  Letters and digits come
 * from the C.UTF-8 locale main() sets (glibc classifies all of Unicode);
 * the marks from their blocks.
 */
static bool name_char(wchar_t cp)
{
	static const struct { wchar_t lo, hi; } marks[] = {
		{ 0x0300, 0x036f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
		{ 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	};

	if (cp < 0x80)
		return isalnum((int)cp) || strchr("_ -'.@+", (int)cp) != NULL;
	if (iswalnum((wint_t)cp) || cp == 0x203f || cp == 0x2040)     /* ‿ ⁀: Pc */
		return true;
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (cp >= marks[i].lo && cp <= marks[i].hi)
			return true;
	return false;
}

const char *account_name_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return "The user name is required.";
	if (len > STORE_NAME_MAX)
		return "The user name is too long.";
	if (!text_is_clean(name, len))
		return "The user name must be UTF-8 text without control characters.";
	if (name[0] == ' ' || name[len - 1] == ' ')
		return "The user name must not begin or end with a space.";
	for (const char *p = name; *p;) {
		wchar_t cp;
		int n = mbtowc(&cp, p, MB_CUR_MAX);

		if (n <= 0 || !name_char(cp))
			return "User names can contain letters, numbers, spaces, dashes (-), "
			       "underscores (_), apostrophes ('), periods (.), at signs (@) "
			       "and plus signs (+).";
		p += n;
	}
	return NULL;
}

/*
 * Argon2id with 12 MiB and 3 passes: one of OWASP's recommended settings
 * (m=12288 KiB, t=3, p=1), about as costly to attack as libsodium's
 * "interactive" 64 MiB/2 passes, but it keeps a worker under 16 MiB while
 * it checks a login.  Hashes made with other settings are upgraded at the
 * next successful login (account_needs_rehash).
 */
#ifndef KEYFIN_CHEAP_PWHASH
#define ACCOUNT_OPSLIMIT 3
#define ACCOUNT_MEMLIMIT (12U * 1024 * 1024)
#else
/* `make valgrind` only (its own build, build/memcheck): one 12 MiB Argon2
 * under memcheck takes seconds, and the suite signs in hundreds of times. */
#define ACCOUNT_OPSLIMIT 1
#define ACCOUNT_MEMLIMIT (64U * 1024)
#endif

int account_hash(const char *password, char out[STORE_HASH_MAX + 1])
{
	size_t len = strlen(password);

	out[0] = '\0';
	if (len == 0)
		return 0;
	if (crypto_pwhash_str(out, password, len, ACCOUNT_OPSLIMIT, ACCOUNT_MEMLIMIT) != 0)
		return -1;
	return 0;
}

bool account_needs_rehash(const struct store_user *user)
{
	return user->password_hash[0] != '\0' &&
	       crypto_pwhash_str_needs_rehash(user->password_hash, ACCOUNT_OPSLIMIT,
					      ACCOUNT_MEMLIMIT) != 0;
}

bool account_verify(const struct store_user *user, const char *password)
{
	static char dummy[STORE_HASH_MAX + 1];
	size_t len = strlen(password);

	if (user == NULL) {
		/* spend the same time as for a real user */
		if (dummy[0] == '\0' && account_hash("keyfin", dummy) != 0)
			return false;
		if (crypto_pwhash_str_verify(dummy, password, len) == 0)
			return false;   /* never a user, whatever the password */
		return false;
	}
	if (user->password_hash[0] == '\0')
		return len == 0;
	return crypto_pwhash_str_verify(user->password_hash, password, len) == 0;
}

enum store_status account_create(struct store *s, const char *name,
				 const char *password, bool is_admin,
				 struct store_user *out)
{
	char hash[STORE_HASH_MAX + 1];
	enum store_status st;

	if (account_hash(password, hash) != 0)
		return STORE_ERROR;
	st = store_user_insert(s, name, hash, is_admin, out);
	sodium_memzero(hash, sizeof(hash));
	return st;
}
