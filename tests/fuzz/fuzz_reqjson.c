/*
 * libFuzzer target: JSON request bodies (src/reqjson.c + json-c).
 *
 * The input is the body, in an exact-size heap copy with no NUL after it
 * (a request body is bytes with a length).  Every member of a parsed object
 * is read back with reqjson_str and reqjson_bool under its own name, its
 * name in upper case, and the names the handlers use.
 *
 * Properties besides "no crash":
 *   - reqjson_parse returns NULL or an object;
 *   - reqjson_str returns NULL or a string whose strlen equals json-c's
 *     length (no NUL inside), and valid UTF-8 (strict parsing with
 *     JSON_TOKENER_VALIDATE_UTF8 promises it; it goes to PostgreSQL),
 *     judged by utf8_oracle.h (glibc's iconv) and not by src/text.c, which
 *     reqjson_parse itself relies on: a bug there cannot pass both;
 *   - reqjson_bool returns the default for a member that is not a boolean;
 *   - the same checks under the upper-case name (case-insensitive lookup
 *     of a name that may match another member first).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyfin/reqjson.h"
#include "fuzz_check.h"
#include "utf8_oracle.h"


static const char *const handler_names[] = {
	"Username", "Pw", "Password", "Name", "CurrentPw", "NewPw",
	"ResetPassword", "IsAdministrator", "IsDisabled", "",
};

/* FUZZ_SKIP_UTF8=1 turns the UTF-8 property off, to look for other bugs
 * while a known UTF-8 one (regressions/reqjson/crash-utf8-*) is open. */
static bool skip_utf8;

static void check_member(json_object *obj, const char *name)
{
	const char *s = reqjson_str(obj, name);
	bool b1 = reqjson_bool(obj, name, true);
	bool b2 = reqjson_bool(obj, name, false);

	if (s != NULL && !skip_utf8)
		CHECK(utf8_oracle(s, strlen(s)));
	/* a string is not a boolean: the default comes back */
	if (s != NULL)
		CHECK(b1 == true && b2 == false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	json_object *obj;

	if (buf == NULL)
		return 0;
	skip_utf8 = getenv("FUZZ_SKIP_UTF8") != NULL;
	memcpy(buf, data, size);
	obj = reqjson_parse(buf, size);
	if (obj != NULL) {
		CHECK(json_object_is_type(obj, json_type_object));
		json_object_object_foreach(obj, key, value) {
			char upper[256];
			size_t i;

			(void)value;
			check_member(obj, key);
			for (i = 0; key[i] != '\0' && i + 1 < sizeof(upper); i++)
				upper[i] = (char)toupper((unsigned char)key[i]);
			upper[i] = '\0';
			/* the same member in upper case (names up to 255 bytes) */
			if (key[i] == '\0')
				check_member(obj, upper);
		}
		for (size_t i = 0; i < sizeof(handler_names) / sizeof(handler_names[0]); i++)
			check_member(obj, handler_names[i]);
		json_object_put(obj);
	}
	free(buf);
	return 0;
}
