#include "keyfin/keyopts.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "keyfin/reqjson.h"
#include "keyfin/text.h"

/* Element `i` of `a` as a string, or NULL when it is not a string or
 * holds a NUL (which would cut it short), as reqjson_str(). */
static const char *element_str(json_object *a, size_t i)
{
	json_object *e = json_object_array_get_idx(a, i);
	const char *s;

	if (!json_object_is_type(e, json_type_string))
		return NULL;
	s = json_object_get_string(e);
	return strlen(s) == (size_t)json_object_get_string_len(e) ? s : NULL;
}

/* A PostgreSQL array literal of the strings of JSON array `a`, into `out`;
 * NULL (with `why`) when `a` is not an array of acceptable strings. */
static const char *array_literal(json_object *a, bool scopes, char *out, size_t size,
				 const char **why)
{
	const char *shape = scopes ? "scopes: an array of at most 32 strings"
		: "allowed_ips: an array of at most 32 addresses (CIDR)";
	struct pgarray literal;
	const char *done;
	size_t n;

	if (!json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) > KEYOPTS_LIST_MAX) {
		*why = shape;
		return NULL;
	}
	pgarray_init(&literal, out, size);
	for (size_t i = 0, count = 0; i < n; i++) {
		const char *s = element_str(a, i);
		const char *const *preset = scopes && s != NULL ? scope_preset(s) : NULL;

		if (preset != NULL) {
			/* stored as what it stands for: a key's details show it */
			for (; *preset != NULL; preset++) {
				if (++count > KEYOPTS_LIST_MAX || pgarray_add(&literal, *preset) < 0) {
					*why = shape;
					return NULL;
				}
			}
			continue;
		}
		if (s == NULL || (scopes ? (*why = scope_problem(s)) != NULL
				  : (strlen(s) > KEYOPTS_ADDRESS_MAX ||
				     !text_is_clean(s, strlen(s))))) {
			if (!scopes || s == NULL)
				*why = scopes ? "scopes: strings only"
					: "allowed_ips: addresses (CIDR) as strings";
			return NULL;
		}
		/* the buffers of struct keyopts are sized for the limits just
		 * checked */
		if (++count > KEYOPTS_LIST_MAX || pgarray_add(&literal, s) < 0) {
			*why = shape;
			return NULL;
		}
	}
	done = pgarray_finish(&literal);
	if (done == NULL)
		*why = shape;
	return done;
}

/* An array option ("scopes", "allowed_ips") of `body`: absent leaves it
 * as it is, null clears it, a list is made a literal in `buf`.  NULL, or
 * what is wrong. */
static const char *array_option(json_object *body, const char *name, bool scopes,
				char *buf, size_t size, const char **out, bool *set)
{
	const char *why = NULL;
	json_object *v;

	if (!reqjson_has(body, name))
		return NULL;
	v = reqjson_member(body, name);
	*set = true;
	if (!json_object_is_type(v, json_type_null) &&
	    (*out = array_literal(v, scopes, buf, size, &why)) == NULL)
		return why;
	return NULL;
}

const char *keyopts_read(json_object *body, struct keyopts *k)
{
	json_object *v;
	const char *why = NULL;

	memset(&k->o, 0, sizeof(k->o));
	if (reqjson_has(body, "expires_at")) {
		v = reqjson_member(body, "expires_at");
		k->o.set_expires = true;
		if (!json_object_is_type(v, json_type_null) &&
		    (k->o.expires_at = reqjson_str(body, "expires_at")) == NULL)
			return "expires_at: a date (ISO 8601) or null";
	}
	if (reqjson_has(body, "ttl")) {
		v = reqjson_member(body, "ttl");
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0 ||
		    json_object_get_int64(v) > 100LL * 365 * 86400 || k->o.expires_at != NULL)
			return "ttl: whole seconds, more than 0, and not with expires_at";
		snprintf(k->ttl, sizeof(k->ttl), "%" PRId64, json_object_get_int64(v));
		k->o.ttl = k->ttl;
		k->o.set_expires = true;
	}
	if ((why = array_option(body, "scopes", true, k->scopes, sizeof(k->scopes),
				&k->o.scopes, &k->o.set_scopes)) != NULL ||
	    (why = array_option(body, "allowed_ips", false, k->ips, sizeof(k->ips),
				&k->o.allowed_ips, &k->o.set_allowed_ips)) != NULL)
		return why;
	if (reqjson_has(body, "note")) {
		v = reqjson_member(body, "note");
		k->o.set_note = true;
		k->o.note = reqjson_str(body, "note");
		if (!json_object_is_type(v, json_type_null) &&
		    (k->o.note == NULL || strlen(k->o.note) > KEYOPTS_NOTE_MAX ||
		     !text_is_clean(k->o.note, strlen(k->o.note))))
			return "note: text of at most 1000 bytes, or null";
	}
	return NULL;
}
