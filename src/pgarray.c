#include "keyfin/pgarray.h"

#include <string.h>

void pgarray_init(struct pgarray *a, char *out, size_t size)
{
	a->out = out;
	a->size = size;
	a->len = 0;
	a->count = 0;
	/* "{}" and its NUL is the least there is */
	a->full = size < 3;
	if (!a->full)
		out[a->len++] = '{';
}

int pgarray_add(struct pgarray *a, const char *s)
{
	size_t need = a->count > 0 ? 3 : 2;     /* comma, quotes */

	for (const char *p = s; *p; p++)
		need += (*p == '"' || *p == '\\') ? 2 : 1;
	/* room kept for the closing brace and the NUL */
	if (a->full || need > a->size - a->len - 2) {
		a->full = true;
		return -1;
	}
	if (a->count++ > 0)
		a->out[a->len++] = ',';
	a->out[a->len++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			a->out[a->len++] = '\\';
		a->out[a->len++] = *s;
	}
	a->out[a->len++] = '"';
	return 0;
}

const char *pgarray_finish(struct pgarray *a)
{
	if (a->full)
		return NULL;
	a->out[a->len++] = '}';
	a->out[a->len] = '\0';
	return a->out;
}
