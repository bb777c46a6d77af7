/*
 * reqjson: JSON request bodies.  Pure: bytes in, json-c object out, so it
 * can be unit-tested and fuzzed on its own.
 */
#include "keyfin/reqjson.h"

#include <string.h>
#include <strings.h>

#include "keyfin/text.h"

json_object *reqjson_parse(const char *buf, size_t len)
{
	struct json_tokener *tok;
	json_object *obj;

	/* json-c's own UTF-8 check lets overlong forms and surrogates through */
	if (len == 0 || len > REQJSON_MAX || !text_is_utf8(buf, len))
		return NULL;
	tok = json_tokener_new_ex(REQJSON_DEPTH);
	if (tok == NULL)
		return NULL;
	/* as System.Text.Json: strict JSON (no comments, no single quotes) and
	 * valid UTF-8 only */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	/* one whole object and nothing after it */
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

json_object *reqjson_member(json_object *obj, const char *name)
{
	json_object_object_foreach(obj, key, value) {
		if (strcasecmp(key, name) == 0)
			return value;
	}
	return NULL;
}

bool reqjson_has(json_object *obj, const char *name)
{
	json_object_object_foreach(obj, key, value) {
		(void)value;
		if (strcasecmp(key, name) == 0)
			return true;
	}
	return false;
}

const char *reqjson_str(json_object *obj, const char *name)
{
	json_object *v = reqjson_member(obj, name);
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	/* "\u0000" inside: as a C string it would be cut short, so refuse it */
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

bool reqjson_bool(json_object *obj, const char *name, bool def)
{
	json_object *v = reqjson_member(obj, name);

	return json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : def;
}

