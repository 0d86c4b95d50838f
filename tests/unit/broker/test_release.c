/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Release (docs/broker.md) against a scripted AWS: the broker's hub routes
 * toward the namespace are removed (other routes are not), its active peering
 * is deleted from the hub side, and the account's
 * trust entry is revoked when it has no other namespace; with another live
 * namespace the grant stays and IAM is not called.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/policy.h"
#include "fixture.h"

#define PCX    "pcx-0b0b0b0b"
#define CLIENT "vpc-0c0c0c0c"

static void test_routes_and_grant_removed(void **state)
{
	struct fx *f = *state;
	struct vp_identity b = fx_caller(FX_B);
	struct vp_registration reg, out;
	struct vp_namespace_record rec;
	struct vp_account_record acct;
	struct vp_error err;
	char routes[1024], dest[64];

	fx_register(f, FX_B, "stack-x", true, &reg);
	fx_confirm(f, &reg, PCX, CLIENT);

	/* Each table: the namespace's route through its peering, and a route that is not the
	 * broker's (an internet gateway). */
	snprintf(routes, sizeof(routes),
		 "<item><destinationCidrBlock>%s</destinationCidrBlock><vpcPeeringConnectionId>" PCX
		 "</vpcPeeringConnectionId><state>active</state><origin>CreateRoute</origin></item>"
		 "<item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><gatewayId>"
		 "igw-0e0e0e0e</gatewayId><state>active</state><origin>CreateRoute</origin></item>",
		 reg.record.vpc_cidr);
	fx_tables(f, routes);
	fx_ok(f, "DeleteRoute");
	fx_ok(f, "DeleteRoute");
	fx_peering(f, PCX, FX_B, CLIENT, reg.record.vpc_cidr, "active");
	fx_ok(f, "DeleteVpcPeeringConnection");
	/* No GetRole: the broker wrote role A's document itself at registration, and the
	 * registry's grants are the ones it left (grants.c, "known document"). */
	fx_ok(f, "UpdateAssumeRolePolicy");

	assert_int_equal(vp_broker_release(f->broker, &b, reg.record.n, "rid-rel", &out, &err),
			 VP_OK);
	assert_int_equal(out.record.state, VP_NS_RELEASED);

	fx_form_cidr(reg.record.vpc_cidr, dest, sizeof(dest));
	assert_int_equal(fx_count(f), 6);
	fx_expect(f, 0, "DescribeRouteTables", NULL);
	fx_expect(f, 1, "DeleteRoute", "RouteTableId=" FX_RTB1, dest, NULL);
	fx_expect(f, 2, "DeleteRoute", "RouteTableId=" FX_RTB2, dest, NULL);
	/* the peering ended from the hub side: active, so deleted */
	fx_expect(f, 3, "DescribeVpcPeeringConnections", "VpcPeeringConnectionId.1=" PCX, NULL);
	fx_expect(f, 4, "DeleteVpcPeeringConnection", "VpcPeeringConnectionId=" PCX, NULL);
	fx_expect(f, 5, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, FX_HUB, NULL);
	assert_false(fx_has(f, 5, FX_B)); /* revoked */

	rec = fx_record(f, reg.record.n);
	assert_int_equal(rec.state, VP_NS_RELEASED);
	assert_int_equal(vp_registry_account_get(f->reg, FX_B, &acct, &err), VP_OK);
	assert_false(acct.granted);
}

static void test_grant_kept_for_another_namespace(void **state)
{
	struct fx *f = *state;
	struct vp_identity b = fx_caller(FX_B);
	struct vp_registration one, two, out;
	struct vp_account_record acct;
	struct vp_error err;

	fx_register(f, FX_B, "stack-1", true, &one);
	fx_register(f, FX_B, "stack-2", false, &two); /* granted already: no IAM call */
	fx_tables(f, "");
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST); /* there to be used by mistake */
	fx_ok(f, "UpdateAssumeRolePolicy");

	assert_int_equal(vp_broker_release(f->broker, &b, one.record.n, "rid-rel", &out, &err),
			 VP_OK);
	assert_int_equal(fx_count(f), 1);
	fx_expect(f, 0, "DescribeRouteTables", NULL);
	assert_int_equal(fx_record(f, one.record.n).state, VP_NS_RELEASED);
	assert_int_equal(fx_record(f, two.record.n).state, VP_NS_PENDING);
	assert_int_equal(vp_registry_account_get(f->reg, FX_B, &acct, &err), VP_OK);
	assert_true(acct.granted);
	assert_string_equal(acct.peer_role_arn, FX_ARN_A);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_and_grant_removed, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_grant_kept_for_another_namespace, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
