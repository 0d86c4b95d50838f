/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Grants (grants.h, docs/broker.md) against a scripted IAM: additions that
 * arrive while a batch is running are applied together (one GetRole + one
 * UpdateAssumeRolePolicy for all of them), a leader gathers additions still
 * arriving, an addition that would pass a role's quota goes to the next role
 * of the pool; the document this process wrote stands in for GetRole while
 * the registry says nobody else changed the role, and a document read back
 * stale never drops an account the registry grants nor keeps one it revoked.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/grants.h"
#include "broker/policy.h"
#include "core/clock.h"
#include "fixture.h"
#include "grants_handle.h"

#define ADDERS 5

struct world {
	struct fx f;
	struct vp_grants *g;
};

static struct vp_grants *grants_with(struct fx *f, size_t quota, int64_t gather_ms)
{
	return vp_test_grants_new(f->aws, f->reg, quota, gather_ms,
				  (const char *const[]){FX_ROLE_A, FX_ROLE_B},
				  (const char *const[]){FX_ARN_A, FX_ARN_B});
}

/* Grants with no gathering window: batches form only behind a running one. */
static struct vp_grants *grants(struct fx *f, size_t quota)
{
	return grants_with(f, quota, -1);
}

static int setup(void **state)
{
	static struct world w;

	fx_init(&w.f);
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	vp_grants_free(w->g);
	w->g = NULL;
	fx_free(&w->f);
	return 0;
}

/* The hub's trust policy plus the broker's statement naming the accounts (NULL-terminated). */
static struct vp_trust_policy *trust_with(const char *const *accounts)
{
	struct vp_trust_policy *p = NULL;
	bool changed;

	assert_int_equal(vp_policy_parse(FX_HUB_TRUST, strlen(FX_HUB_TRUST), &p, NULL), VP_OK);
	for (size_t i = 0; accounts[i]; i++)
		assert_int_equal(vp_policy_add_account(p, "aws", accounts[i], &changed, NULL),
				 VP_OK);
	return p;
}

struct adder {
	struct vp_grants *g;
	char account[13];
	size_t role;
	bool added;
	vp_code code;
	struct vp_error err;
};

static atomic_int started;

static void *add(void *arg)
{
	struct adder *a = arg;

	atomic_fetch_add(&started, 1);
	a->code = vp_grants_add(a->g, a->account, -1, "rid-batch", &a->role, &a->added, &a->err);
	return NULL;
}

static void test_concurrent_additions_batched(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct adder adders[ADDERS];
	pthread_t threads[ADDERS];
	struct vp_registry_lock *held = NULL;
	struct vp_error err;
	size_t in_first = 0, in_second = 0;

	w->g = grants(f, VP_BROKER_DEFAULT_TRUST_QUOTA);
	atomic_store(&started, 0);
	/* Another broker's turn on role A: the first leader waits for it with one op taken;
	 * the others queue behind it meanwhile. */
	assert_int_equal(vp_registry_lock(f->reg, "trust:" FX_ROLE_A, 1000, &held, &err), VP_OK);
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_ok(f, "UpdateAssumeRolePolicy");
	fx_ok(f, "UpdateAssumeRolePolicy");
	for (size_t i = 0; i < ADDERS; i++) {
		adders[i] = (struct adder){.g = w->g};
		snprintf(adders[i].account, sizeof(adders[i].account), "5000000000%02zu", i);
		assert_int_equal(pthread_create(&threads[i], NULL, add, &adders[i]), 0);
	}
	/* Every adder is on its way into vp_grants_add: give them time to queue. */
	while (atomic_load(&started) < ADDERS)
		vp_clock_sleep_ms(5);
	vp_clock_sleep_ms(300);
	assert_int_equal(fx_count(f), 0);
	vp_registry_unlock(held);
	for (size_t i = 0; i < ADDERS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);

	/* Two batches: the one op the first leader took, then every other one together (with no
	 * GetRole: the document the first batch wrote is known). */
	assert_int_equal(fx_count(f), 3);
	fx_expect(f, 0, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 2, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, NULL);
	for (size_t i = 0; i < ADDERS; i++) {
		struct vp_account_record acct;
		bool first = fx_has(f, 1, adders[i].account);
		bool second = fx_has(f, 2, adders[i].account);

		if (adders[i].code != VP_OK)
			fail_msg("%s: %s", adders[i].account, adders[i].err.message);
		assert_int_equal(adders[i].role, 0);
		assert_true(adders[i].added);
		assert_true(second); /* the second update holds the first one's account too */
		in_first += first;
		in_second += second;
		assert_int_equal(vp_registry_account_get(f->reg, adders[i].account, &acct, &err),
				 VP_OK);
		assert_true(acct.granted);
		assert_string_equal(acct.peer_role_arn, FX_ARN_A);
	}
	assert_int_equal(in_first, 1);
	assert_int_equal(in_second, ADDERS);
}

static void test_full_role_spills_to_next(void **state)
{
	static const char *const three[] = {"600000000001", "600000000002", "600000000003", NULL};
	static const char *const none[] = {NULL};
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_trust_policy *full = trust_with(three), *empty = trust_with(none);
	struct vp_account_record acct;
	struct vp_error err;
	size_t quota = vp_policy_quota_size(full) + 5, role = 9;
	bool added = false, changed = false;
	char *text;

	/* The quota: role A's document takes no one more; role B's takes one. */
	assert_int_equal(vp_policy_add_account(empty, "aws", FX_C, &changed, NULL), VP_OK);
	assert_true(vp_policy_quota_size(empty) <= quota);
	vp_policy_free(empty);
	w->g = grants(f, quota);

	assert_non_null(text = vp_policy_serialize(full));
	vp_policy_free(full);
	fx_get_role(f, FX_ROLE_A, text);
	free(text);
	fx_get_role(f, FX_ROLE_B, FX_HUB_TRUST);
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_grants_add(w->g, FX_C, -1, "rid-spill", &role, &added, &err), VP_OK);
	assert_int_equal(role, 1);
	assert_true(added);

	assert_int_equal(fx_count(f), 3); /* role A read, not written */
	fx_expect(f, 0, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 1, "GetRole", "RoleName=" FX_ROLE_B, NULL);
	fx_expect(f, 2, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_B, FX_C, NULL);
	assert_int_equal(vp_registry_account_get(f->reg, FX_C, &acct, &err), VP_OK);
	assert_true(acct.granted);
	assert_string_equal(acct.peer_role_arn, FX_ARN_B);
}

static void start_adders(struct world *w, struct adder *adders, pthread_t *threads, size_t n,
			 const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		adders[i] = (struct adder){.g = w->g};
		snprintf(adders[i].account, sizeof(adders[i].account), "%s%02u", prefix,
			 (unsigned)(i % 100));
		assert_int_equal(pthread_create(&threads[i], NULL, add, &adders[i]), 0);
	}
}

static void join_adders(struct adder *adders, pthread_t *threads, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		if (adders[i].code != VP_OK)
			fail_msg("%s: %s", adders[i].account, adders[i].err.message);
	}
}

/* A leader waits for additions still arriving: five started together share one batch. */
static void test_leader_gathers(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct adder adders[ADDERS];
	pthread_t threads[ADDERS];

	/* A window far wider than thread start-up: its gap (1 s) is what ends it. */
	w->g = grants_with(f, VP_BROKER_DEFAULT_TRUST_QUOTA, 4000);
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_ok(f, "UpdateAssumeRolePolicy");
	start_adders(w, adders, threads, ADDERS, "5100000000");
	join_adders(adders, threads, ADDERS);
	assert_int_equal(fx_count(f), 2);
	fx_expect(f, 0, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, NULL);
	for (size_t i = 0; i < ADDERS; i++)
		assert_true(fx_has(f, 1, adders[i].account));
}

/*
 * The document this process wrote stands in for GetRole: the second addition is one update
 * holding both accounts. When the registry's grants in the role change behind its back
 * (another broker), it reads again.
 */
static void test_known_document_spares_get_role(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_error err;
	size_t role = 9;
	bool added = false;

	w->g = grants(f, VP_BROKER_DEFAULT_TRUST_QUOTA);
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_ok(f, "UpdateAssumeRolePolicy");
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_grants_add(w->g, FX_B, -1, "rid-1", &role, &added, &err), VP_OK);
	assert_int_equal(vp_grants_add(w->g, FX_C, -1, "rid-2", &role, &added, &err), VP_OK);
	assert_int_equal(fx_count(f), 3);
	fx_expect(f, 0, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", FX_B, NULL);
	fx_expect(f, 2, "UpdateAssumeRolePolicy", FX_B, FX_C, NULL);

	/* Another broker grants 520000000001 in role A: this one's memory is no longer the
	 * truth, so it reads the role again (and keeps that grant, from the registry). */
	assert_int_equal(vp_registry_account_upsert(f->reg, "520000000001", FX_ARN_A, true, "other",
						    NULL, &err),
			 VP_OK);
	stub_reset(f->stub);
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST); /* stale: neither B nor C nor the other's */
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_grants_add(w->g, "520000000002", -1, "rid-3", &role, &added, &err),
			 VP_OK);
	assert_int_equal(fx_count(f), 2);
	fx_expect(f, 0, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", FX_B, FX_C, "520000000001", "520000000002", NULL);
}

/*
 * A stale GetRole: the document read lacks an account the registry grants in the role and
 * still names one it revoked. The write puts the first back, leaves the second out, and
 * keeps what vpcpeer does not manage (an account the registry never knew, other statements).
 */
static void test_stale_read_merged_with_registry(void **state)
{
	static const char *const stale[] = {"530000000001", "530000000009", NULL};
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_trust_policy *doc = trust_with(stale);
	struct vp_error err;
	size_t role = 9;
	bool added = false;
	char *text;

	/* 530000000001: revoked; 530000000002: granted; 530000000009: unknown to the registry. */
	assert_int_equal(vp_registry_account_upsert(f->reg, "530000000001", FX_ARN_A, false, "r",
						    NULL, &err),
			 VP_OK);
	assert_int_equal(
		vp_registry_account_upsert(f->reg, "530000000002", FX_ARN_A, true, "r", NULL, &err),
		VP_OK);
	w->g = grants(f, VP_BROKER_DEFAULT_TRUST_QUOTA);
	assert_non_null(text = vp_policy_serialize(doc));
	vp_policy_free(doc);
	fx_get_role(f, FX_ROLE_A, text);
	free(text);
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_grants_add(w->g, FX_B, -1, "rid-s", &role, &added, &err), VP_OK);
	assert_true(added);
	assert_int_equal(fx_count(f), 2);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", FX_B, "530000000002", "530000000009", "root",
		  FX_HUB, NULL);
	assert_false(fx_has(f, 1, "530000000001"));
}

/* IAM's LimitExceeded (its real ACLSizePerRole quota is lower than the configured one): the
 * addition moves to the next role, and role A's quota is now IAM's. */
static void test_limit_exceeded_moves_to_next_role(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_account_record acct;
	struct vp_error err;
	size_t role = 9;
	bool added = false;

	w->g = grants(f, 2048);
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_error(f, 409, "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 100");
	fx_get_role(f, FX_ROLE_B, FX_HUB_TRUST);
	fx_ok(f, "UpdateAssumeRolePolicy");
	if (vp_grants_add(w->g, FX_C, -1, "rid-limit", &role, &added, &err) != VP_OK)
		fail_msg("add: %s", err.message);
	assert_int_equal(role, 1);
	assert_true(added);
	assert_int_equal(fx_count(f), 4);
	fx_expect(f, 3, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_B, FX_C, NULL);
	assert_int_equal(vp_grants_quota(w->g, 0), 100);
	assert_int_equal(vp_grants_quota(w->g, 1), 2048);
	assert_int_equal(vp_registry_account_get(f->reg, FX_C, &acct, &err), VP_OK);
	assert_string_equal(acct.peer_role_arn, FX_ARN_B);
}

/* A principal IAM no longer accepts (a deleted account's) fails the whole document: it is
 * found, left out, and the batch written without it. */
static void test_invalid_principal_left_out(void **state)
{
	static const char *const gone[] = {"999999999999", NULL};
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_trust_policy *doc = trust_with(gone);
	struct vp_error err;
	size_t role = 9;
	bool added = false;
	char *text;

	w->g = grants(f, 2048);
	assert_non_null(text = vp_policy_serialize(doc));
	vp_policy_free(doc);
	fx_get_role(f, FX_ROLE_A, text);
	free(text);
	fx_error(f, 400, "MalformedPolicyDocument",
		 "Invalid principal in policy: \"AWS\":\"arn:aws:iam::999999999999:root\"");
	fx_ok(f, "UpdateAssumeRolePolicy");
	if (vp_grants_add(w->g, FX_C, -1, "rid-invalid", &role, &added, &err) != VP_OK)
		fail_msg("add: %s", err.message);
	assert_int_equal(role, 0);
	assert_int_equal(fx_count(f), 3);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", "999999999999", FX_C, NULL);
	fx_expect(f, 2, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, FX_C, NULL);
	assert_false(fx_has(f, 2, "999999999999"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_additions_batched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_role_spills_to_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_exceeded_moves_to_next_role, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_principal_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leader_gathers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_known_document_spares_get_role, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_read_merged_with_registry, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
