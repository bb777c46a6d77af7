#include "keyfin/handle.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyfin/log.h"
#include "keyfin/reqjson.h"

void handle_store_failure(struct req *r, enum store_status st)
{
	if (st == STORE_INVALID) {
		http_respond_text(r, 400, "A value in the request is not valid.");
		return;
	}
	if (st == STORE_UNAVAILABLE) {
		static const char body[] = "{\"Message\":\"The database is unavailable; try again shortly.\"}";

		http_respond(r, 503, "application/json; charset=utf-8", body, sizeof(body) - 1);
		return;
	}
	http_respond_text(r, 500, "Error processing request.");
}

json_object *handle_json_body(struct app *app, struct req *r)
{
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
	obj = reqjson_parse(r->body, r->body_len);
	if (obj == NULL)
		http_respond_text(r, 400, "The request body is not a JSON object.");
	return obj;
}

void handle_send_json(struct req *r, int status, json_object *obj)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	http_respond(r, status, "application/json; charset=utf-8", text, len);
	json_object_put(obj);
}

int64_t handle_path_id(const char *arg)
{
	char *end;
	long long v = strtoll(arg, &end, 10);

	return (end == arg || *end != '\0' || v <= 0) ? 0 : v;
}
