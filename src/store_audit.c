/* The audit trail. */
#include "keyfin/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/log.h"
#include "store_int.h"

enum store_status store_audit_add(struct store *s, const char *event, const char *severity,
				  const struct store_actor *by, const char *target)
{
	struct params p = { .n = 0 };

	param_text(&p, event);
	param_text(&p, severity);
	param_actor(&p, by);
	param_text(&p, target);
	return store_change(s, STMT_AUDIT_ADD, &p, false);
}

static void audit_from_row(const PGresult *res, int i, struct store_audit_entry *e)
{
	e->id = store_col_int(res, i, 0);
	e->at_us = store_col_int(res, i, 1);
	store_col_text(e->event, sizeof(e->event), res, i, 2);
	store_col_text(e->severity, sizeof(e->severity), res, i, 3);
	store_col_text(e->actor, sizeof(e->actor), res, i, 4);
	store_col_text(e->actor_user_id, sizeof(e->actor_user_id), res, i, 5);
	store_col_text(e->remote_addr, sizeof(e->remote_addr), res, i, 6);
	store_col_text(e->client, sizeof(e->client), res, i, 7);
	store_col_text(e->target, sizeof(e->target), res, i, 8);
	e->total = store_col_int(res, i, 9);
}

STORE_EACH_ROW(audit, struct store_audit_entry, audit_from_row)

enum store_status store_audit_list(struct store *s, const struct store_audit_query *q,
				   int (*each)(const struct store_audit_entry *e, void *ctx),
				   void *ctx)
{
	struct params p = { .n = 0 };
	struct audit_each a = { each, ctx };
	enum store_status st;

	param_text(&p, q->min_date);
	if (q->has_user < 0)
		param_text(&p, NULL);   /* users or not */
	else
		param_bool(&p, q->has_user);
	param_int(&p, q->start);
	param_int(&p, q->limit);
	param_text(&p, q->max_date);
	param_text(&p, q->type);
	st = store_rows(s, STMT_AUDIT_LIST, &p, audit_row, &a);
	return st == STORE_NOT_FOUND ? STORE_OK : st;
}
