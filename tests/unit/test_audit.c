/* Unit tests for src/audit.c: audit records in words. */
#include "cmocka_prelude.h"

#include <string.h>

#include "keyfin/audit.h"

static void describe(const char *event, const char *actor, const char *target,
		     const char *want, size_t room)
{
	struct store_audit_entry e;
	char out[128];

	memset(&e, 0, sizeof(e));
	snprintf(e.event, sizeof(e.event), "%s", event);
	snprintf(e.actor, sizeof(e.actor), "%s", actor);
	snprintf(e.target, sizeof(e.target), "%s", target);
	memset(out, 'x', sizeof(out));
	audit_describe(&e, out, room);
	assert_string_equal(out, want);
}

static void test_sentences(void **state)
{
	(void)state;
	describe("key.create", "admin", "key 12 (1a2b...) for Heimdall",
		 "admin created key 12 (1a2b...) for Heimdall", 128);
	describe("key.revoke", "API key 9f8e...", "key 3 (0c0c...) of Seerr",
		 "API key 9f8e... revoked key 3 (0c0c...) of Seerr", 128);
	describe("login.failed", "bob", "bob", "failed login as bob", 128);
	describe("user.policy", "admin", "alice", "admin changed the policy of alice", 128);
	describe("something.new", "cli", "x", "cli: something.new x", 128);
	/* names that look like patterns are copied, not expanded */
	describe("user.create", "@T", "@A", "@T created user @A", 128);
}

static void test_truncation(void **state)
{
	(void)state;
	describe("key.create", "admin", "key 1", "admin cr", 9);
	describe("key.create", "administrator", "key 1", "admin", 6);
	describe("login", "a", "", "", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentences),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
