/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Grants (grants.h, docs/broker.md) against a scripted IAM: additions that
 * arrive while a batch is running are applied together (one GetRole + one
 * UpdateAssumeRolePolicy for all of them), and an addition that would pass a
 * role's quota goes to the next role of the pool.
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

#define ADDERS 5

struct world {
	struct fx f;
	struct vp_grants *g;
};

static struct vp_grants *grants(struct fx *f, size_t quota)
{
	struct vp_grants_config cfg = {
		.aws = f->aws,
		.registry = f->reg,
		.partition = "aws",
		.quota = quota,
		.settle_ms = 0,
		.roles = {{FX_ROLE_A, FX_ARN_A, NULL}, {FX_ROLE_B, FX_ARN_B, NULL}},
		.role_count = 2,
	};
	struct vp_grants *g = NULL;
	struct vp_error err;

	if (vp_grants_new(&cfg, &g, &err) != VP_OK)
		fail_msg("grants: %s", err.message);
	return g;
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
	for (size_t i = 0; i < 2; i++) {
		fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
		fx_ok(f, "UpdateAssumeRolePolicy");
	}
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

	/* Two batches: the one op the first leader took, then every other one together. */
	assert_int_equal(fx_count(f), 4);
	fx_expect(f, 0, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 2, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 3, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, NULL);
	for (size_t i = 0; i < ADDERS; i++) {
		struct vp_account_record acct;
		bool first = fx_has(f, 1, adders[i].account);
		bool second = fx_has(f, 3, adders[i].account);

		if (adders[i].code != VP_OK)
			fail_msg("%s: %s", adders[i].account, adders[i].err.message);
		assert_int_equal(adders[i].role, 0);
		assert_true(adders[i].added);
		assert_true(first != second); /* in exactly one update */
		in_first += first;
		in_second += second;
		assert_int_equal(vp_registry_account_get(f->reg, adders[i].account, &acct, &err),
				 VP_OK);
		assert_true(acct.granted);
		assert_string_equal(acct.peer_role_arn, FX_ARN_A);
	}
	assert_int_equal(in_first, 1);
	assert_int_equal(in_second, ADDERS - 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_additions_batched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_role_spills_to_next, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
