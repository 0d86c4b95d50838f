/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Register (docs/broker.md) against a scripted AWS: the lowest free n is
 * allocated and the account granted with one GetRole + UpdateAssumeRolePolicy,
 * a replay returns the same n without AWS, a disallowed account is refused
 * with nothing allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static void test_lowest_n_and_one_grant(void **state)
{
	struct fx *f = *state;
	struct vp_identity b = fx_caller(FX_B), c = fx_caller(FX_C);
	struct vp_register_request req;
	struct vp_registration out;
	struct vp_namespace_record rec;
	struct vp_account_record acct;
	struct vp_error err;
	bool created = false;

	memset(&req, 0, sizeof(req));
	snprintf(req.client_ref, sizeof(req.client_ref), "%s", "stack-1");
	fx_tables(f, "");
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_broker_register(f->broker, &b, &req, "rid-1", &out, &created, &err),
			 VP_OK);
	assert_true(created);
	assert_int_equal(out.record.n, 1); /* 0 is the hub's */
	assert_string_equal(out.record.account, FX_B);
	assert_int_equal(out.record.state, VP_NS_PENDING);
	assert_string_equal(out.peer_vpc_id, FX_VPC);

	/* AWS: the room check, then one read and one write of role A's trust policy. */
	assert_int_equal(fx_count(f), 3);
	fx_expect(f, 0, "DescribeRouteTables", "RouteTableId.1=" FX_RTB1, NULL);
	fx_expect(f, 1, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 2, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, FX_B,
		  "VpcpeerClientAccounts", FX_HUB, NULL);

	/* The registry: pending, in role A; the account granted there. */
	rec = fx_record(f, 1);
	assert_int_equal(rec.state, VP_NS_PENDING);
	assert_string_equal(rec.account, FX_B);
	assert_string_equal(rec.client_ref, "stack-1");
	assert_string_equal(rec.peer_role_arn, FX_ARN_A);
	assert_int_equal(vp_registry_account_get(f->reg, FX_B, &acct, &err), VP_OK);
	assert_true(acct.granted);
	assert_string_equal(acct.peer_role_arn, FX_ARN_A);

	/* The next account gets the next n, and its own grant. */
	stub_reset(f->stub);
	snprintf(req.client_ref, sizeof(req.client_ref), "%s", "stack-2");
	fx_tables(f, "");
	/* No GetRole: the broker knows the document it wrote for B (grants.c, "known document"). */
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_broker_register(f->broker, &c, &req, "rid-2", &out, &created, &err),
			 VP_OK);
	assert_int_equal(out.record.n, 2);
	assert_int_equal(fx_count(f), 2);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", FX_C, FX_B, NULL);
}

static void test_replay_same_n_no_aws(void **state)
{
	struct fx *f = *state;
	struct vp_identity b = fx_caller(FX_B);
	struct vp_register_request req;
	struct vp_registration first, again;
	struct vp_error err;
	bool created = true;
	int64_t live = 0;

	fx_register(f, FX_B, "stack-r", true, &first);
	memset(&req, 0, sizeof(req));
	snprintf(req.client_ref, sizeof(req.client_ref), "%s", "stack-r");
	assert_int_equal(
		vp_broker_register(f->broker, &b, &req, "rid-replay", &again, &created, &err),
		VP_OK);
	assert_false(created);
	assert_int_equal(again.record.n, first.record.n);
	assert_string_equal(again.record.vpc_cidr, first.record.vpc_cidr);
	assert_int_equal(fx_count(f), 0); /* granted already: nothing asked of AWS */
	assert_int_equal(vp_registry_count_live(f->reg, &live, &err), VP_OK);
	assert_int_equal(live, 1);
}

static void test_disallowed_account_refused(void **state)
{
	struct fx *f = *state;
	struct vp_identity d = fx_caller(FX_D);
	struct vp_register_request req;
	struct vp_registration out;
	struct vp_account_record acct;
	struct vp_error err;
	bool created = false;
	int64_t live = -1;

	memset(&req, 0, sizeof(req));
	snprintf(req.client_ref, sizeof(req.client_ref), "%s", "stack-d");
	fx_tables(f, ""); /* answers are there: nothing may use them */
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_broker_register(f->broker, &d, &req, "rid-d", &out, &created, &err),
			 VP_ERR_FORBIDDEN);
	assert_non_null(strstr(err.message, FX_D));
	assert_int_equal(fx_count(f), 0);
	assert_int_equal(vp_registry_count_live(f->reg, &live, &err), VP_OK);
	assert_int_equal(live, 0);
	assert_int_equal(vp_registry_account_get(f->reg, FX_D, &acct, &err), VP_ERR_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lowest_n_and_one_grant, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_replay_same_n_no_aws, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disallowed_account_refused, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
