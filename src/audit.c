#include "keyfin/audit.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *event;
	const char *pattern;    /* @A: the actor, @T: the target */
} sentences[] = {
	{ "key.create", "@A created @T" },
	{ "key.revoke", "@A revoked @T" },
	{ "key.roll", "@A rolled @T" },
	{ "session.revoke", "@A signed out @T" },
	{ "key.reuse", "@T used after its roll's grace: it may have leaked" },
	{ "login", "@A logged in" },
	{ "login.failed", "failed login as @T" },
	{ "auth.throttle", "@T throttled after repeated failed credentials" },
	{ "login.locked", "login refused: @T is locked" },
	{ "login.disabled", "login refused: @T is disabled" },
	{ "user.locked", "@T locked after repeated failed logins" },
	{ "user.create", "@A created user @T" },
	{ "user.delete", "@A deleted user @T" },
	{ "user.policy", "@A changed the policy of @T" },
	{ "user.password", "@A changed the password of @T" },
	{ "user.password.reset", "@A reset the password of @T" },
	{ "settings.auth_cache", "@A changed the memory window: @T" },
};

/* Copy `pattern` into `out` with @A and @T replaced; always terminated. */
static void fill(const char *pattern, const struct store_audit_entry *e, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = pattern; *p && o + 1 < len; p++) {
		const char *with = NULL;

		if (p[0] == '@' && p[1] == 'A')
			with = e->actor;
		else if (p[0] == '@' && p[1] == 'T')
			with = e->target;
		if (with == NULL) {
			out[o++] = *p;
			continue;
		}
		o += (size_t)snprintf(out + o, len - o, "%s", with);
		if (o >= len)
			o = len - 1;
		p++;
	}
	out[o] = '\0';
}

void audit_describe(const struct store_audit_entry *e, char *out, size_t len)
{
	for (size_t i = 0; i < sizeof(sentences) / sizeof(sentences[0]); i++) {
		if (strcmp(sentences[i].event, e->event) == 0) {
			fill(sentences[i].pattern, e, out, len);
			return;
		}
	}
	snprintf(out, len, "%s: %s %s", e->actor, e->event, e->target);
}
