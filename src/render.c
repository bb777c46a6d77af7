#include "keyfin/render.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void render_camel(const char *pascal, char out[64])
{
	size_t n = strlen(pascal);

	if (n > 63)
		n = 63;
	memcpy(out, pascal, n);
	out[n] = '\0';
	/* System.Text.Json's ConvertName: lower the leading run of capitals,
	 * except the last one of a run that starts a new word ("IPAddress"
	 * -> "ipAddress"). */
	for (size_t i = 0; i < n; i++) {
		if (i == 1 && !isupper((unsigned char)out[i]))
			break;
		if (i > 0 && i + 1 < n && !isupper((unsigned char)out[i + 1])) {
			if (out[i + 1] == ' ')
				out[i] = (char)tolower((unsigned char)out[i]);
			break;
		}
		out[i] = (char)tolower((unsigned char)out[i]);
	}
}

void render_add(json_object *obj, bool camel, const char *name, json_object *value)
{
	char key[64];

	if (!camel) {
		json_object_object_add(obj, name, value);
		return;
	}
	render_camel(name, key);
	json_object_object_add(obj, key, value);
}

void render_str(json_object *obj, bool camel, const char *name, const char *value)
{
	render_add(obj, camel, name, json_object_new_string(value));
}

void render_bool(json_object *obj, bool camel, const char *name, bool value)
{
	render_add(obj, camel, name, json_object_new_boolean(value));
}

void render_int(json_object *obj, bool camel, const char *name, int64_t value)
{
	render_add(obj, camel, name, json_object_new_int64(value));
}

/* `n` as exactly `width` decimal digits at `out`. */
static void put_digits(char *out, int64_t n, int width)
{
	while (width-- > 0) {
		out[width] = (char)('0' + n % 10);
		n /= 10;
	}
}

/*
 * Without gmtime_r/strftime/snprintf: a key list writes two dates a key.
 * The civil date from a day count is Howard Hinnant's days_from_civil
 * inverse (proleptic Gregorian, valid for every year 1..9999 here).
 */
void render_format_date(int64_t us, char out[RENDER_DATE_LEN + 1])
{
	int64_t secs, days, rem, era, doe, yoe, doy, mp, year, month, day;

	if (us <= 0 || us >= 253402300800000000LL) {    /* after 9999-12-31: none */
		strcpy(out, "0001-01-01T00:00:00.0000000Z");
		return;
	}
	secs = us / 1000000;
	days = secs / 86400;
	rem = secs % 86400;
	days += 719468;                 /* from 1970-01-01 to 0000-03-01 */
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	day = doy - (153 * mp + 2) / 5 + 1;
	month = mp < 10 ? mp + 3 : mp - 9;
	year = yoe + era * 400 + (month <= 2);
	memcpy(out, "0000-00-00T00:00:00.0000000Z", RENDER_DATE_LEN + 1);
	put_digits(out, year, 4);
	put_digits(out + 5, month, 2);
	put_digits(out + 8, day, 2);
	put_digits(out + 11, rem / 3600, 2);
	put_digits(out + 14, rem / 60 % 60, 2);
	put_digits(out + 17, rem % 60, 2);
	/* .NET ticks are 100 ns: microseconds and a trailing 0 */
	put_digits(out + 20, us % 1000000, 6);
}

size_t render_json_string(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\b': *o++ = '\\'; *o++ = 'b'; break;
		case '\f': *o++ = '\\'; *o++ = 'f'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		default:
			if (*p < 0x20) {
				memcpy(o, "\\u00", 4);
				o[4] = hex[*p >> 4];
				o[5] = hex[*p & 15];
				o += 6;
			} else {
				*o++ = (char)*p;
			}
		}
	}
	*o++ = '"';
	*o = '\0';
	return (size_t)(o - out);
}

void render_date(json_object *obj, bool camel, const char *name, int64_t us)
{
	char buf[RENDER_DATE_LEN + 1];

	render_format_date(us, buf);
	render_str(obj, camel, name, buf);
}

/* `s`..`end` trimmed of spaces and tabs, compared with `lit` in any case. */
static bool span_is(const char *s, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (size_t)(end - s) == n && strncasecmp(s, lit, n) == 0;
}

bool render_wants_camel(const char *accept)
{
	double best = -1;
	bool camel = false;
	const char *entry = accept;

	while (entry != NULL && *entry) {
		const char *next = strchr(entry, ',');
		const char *end = next ? next : entry + strlen(entry);
		const char *semi = memchr(entry, ';', (size_t)(end - entry));
		const char *type_end = semi ? semi : end;
		bool json = span_is(entry, type_end, "application/json") ||
			    span_is(entry, type_end, "application/*") ||
			    span_is(entry, type_end, "*/*");
		bool entry_camel = false;
		double q = 1;

		for (const char *p = semi; json && p != NULL && p < end;) {
			const char *pend = memchr(p + 1, ';', (size_t)(end - p - 1));
			const char *eq = memchr(p + 1, '=', (size_t)((pend ? pend : end) - p - 1));

			if (eq != NULL && span_is(p + 1, eq, "q"))
				q = strtod(eq + 1, NULL);
			if (eq != NULL && span_is(p + 1, eq, "profile")) {
				const char *v = eq + 1, *vend = pend ? pend : end;

				while (v < vend && (*v == ' ' || *v == '"'))
					v++;
				while (vend > v && (vend[-1] == ' ' || vend[-1] == '"'))
					vend--;
				entry_camel = span_is(v, vend, "camelcase");
			}
			p = pend;
		}
		if (json && q > best) {
			best = q;
			camel = entry_camel;
		}
		entry = next ? next + 1 : NULL;
	}
	return camel;
}
