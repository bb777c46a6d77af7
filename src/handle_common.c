#include "keyfin/handle.h"

#include <string.h>
#include <strings.h>

#include "keyfin/log.h"

void handle_store_failure(struct req *r, enum store_status st)
{
	if (st == STORE_UNAVAILABLE) {
		static const char body[] = "{\"Message\":\"The database is unavailable; try again shortly.\"}";

		http_respond(r, 503, "application/json; charset=utf-8", body, sizeof(body) - 1);
		return;
	}
	http_respond_text(r, 500, "Error processing request.");
}

json_object *handle_json_body(struct app *app, struct req *r)
{
	struct json_tokener *tok;
	json_object *obj;
	int status = http_read_body(r, (size_t)app->cfg->max_body);

	if (status != 0) {
		http_respond_text(r, status, status == 413 ? "Request body too large."
				  : "Could not read the request body.");
		return NULL;
	}
	if (r->body_len == 0) {
		http_respond_text(r, 400, "A JSON body is required.");
		return NULL;
	}
	tok = json_tokener_new_ex(32);
	if (tok == NULL) {
		http_respond_text(r, 500, "Error processing request.");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != r->body_len ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		json_tokener_free(tok);
		http_respond_text(r, 400, "The request body is not a JSON object.");
		return NULL;
	}
	json_tokener_free(tok);
	return obj;
}

static json_object *member(json_object *obj, const char *name)
{
	json_object_object_foreach(obj, key, value) {
		if (strcasecmp(key, name) == 0)
			return value;
	}
	return NULL;
}

const char *handle_json_str(json_object *obj, const char *name)
{
	json_object *v = member(obj, name);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool handle_json_bool(json_object *obj, const char *name, bool def)
{
	json_object *v = member(obj, name);

	return json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : def;
}

void handle_send_json(struct req *r, int status, json_object *obj)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	http_respond(r, status, "application/json; charset=utf-8", text, len);
	json_object_put(obj);
}
