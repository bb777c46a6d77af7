/* GET /System/ActivityLog/Entries: keyfin's audit trail in the shape of
 * Jellyfin's activity log (ActivityLogEntry in a QueryResult), newest first. */
#include "keyfin/handle.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyfin/audit.h"
#include "keyfin/render.h"

#define ACTIVITY_LIMIT_MAX 1000

struct activity_ctx {
	json_object *items;
	int64_t total;
	bool camel;
};

static int add_entry(const struct store_audit_entry *e, void *arg)
{
	struct activity_ctx *ctx = arg;
	json_object *o = json_object_new_object();
	char sentence[512], overview[400];
	bool camel = ctx->camel;

	audit_describe(e, sentence, sizeof(sentence));
	snprintf(overview, sizeof(overview), "from %s%s%s",
		 e->remote_addr[0] ? e->remote_addr : "an unknown address",
		 e->client[0] ? " with " : "", e->client);
	render_int(o, camel, "Id", e->id);
	render_str(o, camel, "Name", sentence);
	render_str(o, camel, "Overview", overview);
	render_str(o, camel, "ShortOverview", e->remote_addr);
	render_str(o, camel, "Type", e->event);
	render_date(o, camel, "Date", e->at_us);
	render_str(o, camel, "UserId", e->actor_user_id[0] ? e->actor_user_id
		   : "00000000000000000000000000000000");
	render_str(o, camel, "Severity", e->severity);
	json_object_array_add(ctx->items, o);
	ctx->total = e->total;
	return 0;
}

/* A whole non-negative number from the query, or `def`; -1 when malformed. */
static int64_t query_count(struct req *r, const char *name, int64_t def)
{
	char buf[32], *end;
	long n = http_query(r, name, buf, sizeof(buf));
	long long v;

	if (n < 0)
		return n == -1 ? def : -1;
	v = strtoll(buf, &end, 10);
	return (end == buf || *end != '\0' || v < 0) ? -1 : v;
}

void handle_activity(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	struct activity_ctx ctx = { NULL, 0, r->camel_case };
	struct store_audit_query q = { .has_user = -1, .start = 0, .limit = 100 };
	char min_date[64], max_date[64], type[64], has_user[8];
	json_object *result;
	enum store_status st;

	(void)c;
	(void)arg;
	q.start = query_count(r, "startIndex", 0);
	q.limit = query_count(r, "limit", 100);
	if (q.start < 0 || q.limit < 0) {
		http_respond_text(r, 400, "startIndex and limit must be whole numbers.");
		return;
	}
	if (q.limit > ACTIVITY_LIMIT_MAX)
		q.limit = ACTIVITY_LIMIT_MAX;
	if (http_query(r, "minDate", min_date, sizeof(min_date)) >= 0)
		q.min_date = min_date;
	/* keyfin's own filters, for its admin console: before a date, and
	 * of one kind of event (Jellyfin ignores what it does not know) */
	if (http_query(r, "maxDate", max_date, sizeof(max_date)) >= 0)
		q.max_date = max_date;
	if (http_query(r, "type", type, sizeof(type)) > 0)
		q.type = type;
	if (http_query(r, "hasUserId", has_user, sizeof(has_user)) >= 0)
		q.has_user = strcasecmp(has_user, "true") == 0;
	ctx.items = json_object_new_array();
	st = store_audit_list(app->store, &q, add_entry, &ctx);
	if (st != STORE_OK) {
		json_object_put(ctx.items);
		if (st == STORE_INVALID)
			http_respond_text(r, 400, "minDate or maxDate is not a date.");
		else
			handle_store_failure(r, st);
		return;
	}
	result = json_object_new_object();
	render_add(result, ctx.camel, "Items", ctx.items);
	render_int(result, ctx.camel, "TotalRecordCount", ctx.total);
	render_int(result, ctx.camel, "StartIndex", q.start);
	handle_send_json(r, 200, result);
}
