/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Release (docs/broker.md) against a scripted AWS: the broker's hub routes
 * toward the namespace are removed (other routes are not), its active peering
 * is deleted from the hub side, and the account's
 * trust entry is revoked when it has no other namespace; with another live
 * namespace the grant stays and IAM is not called.
 *
 * Issue 23: the reconciler's release of a record it read earlier changes
 * nothing (no AWS call, no state change) once n holds a newer record or the
 * record was confirmed since (a lost race, counted); readiness fails its
 * "registry_write" check when the registry reads but cannot write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "broker/internal.h"
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

	assert_int_equal(
		vp_broker_release(f->broker, &b, reg.record.n, NULL, "rid-rel", &out, &err), VP_OK);
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

	assert_int_equal(
		vp_broker_release(f->broker, &b, one.record.n, NULL, "rid-rel", &out, &err), VP_OK);
	assert_int_equal(fx_count(f), 1);
	fx_expect(f, 0, "DescribeRouteTables", NULL);
	assert_int_equal(fx_record(f, one.record.n).state, VP_NS_RELEASED);
	assert_int_equal(fx_record(f, two.record.n).state, VP_NS_PENDING);
	assert_int_equal(vp_registry_account_get(f->reg, FX_B, &acct, &err), VP_OK);
	assert_true(acct.granted);
	assert_string_equal(acct.peer_role_arn, FX_ARN_A);
}

static struct vp_namespace_record pending(struct fx *f, const char *ref, int64_t ttl)
{
	struct vp_namespace_record rec;
	bool created = false;
	struct vp_error err;

	assert_int_equal(
		vp_registry_allocate(f->reg, FX_B, ref, NULL, "r", ttl, &rec, &created, &err),
		VP_OK);
	assert_true(created);
	return rec;
}

/* Defect 1: the reconciler never releases a record other than the one it read. */
static void test_stale_snapshot_released_nothing(void **state)
{
	struct fx *f = *state;
	struct vp_namespace_record a, b, c, now;
	struct vp_error err;

	fx_now = 100000;
	a = pending(f, "stack-old", 60);
	/* the reconciler reads a (expired at 100060) ... */
	fx_now = 100100;
	/* ... meanwhile a is released by its client and n, out of quarantine, is given to b */
	assert_int_equal(vp_registry_transition(f->reg, a.n, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_RELEASING, NULL, "r", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_transition(f->reg, a.n, VP_NS_STATE_BIT(VP_NS_RELEASING),
						VP_NS_RELEASED, NULL, "r", NULL, &err),
			 VP_OK);
	fx_now = 100100 + VP_REGISTRY_DEFAULT_QUARANTINE + 1;
	b = pending(f, "stack-new", 0);
	assert_int_equal(b.n, a.n);
	/* the reconciler acts on its snapshot of a */
	assert_int_equal(vp_broker_release_system(f->broker, &a, VP_NS_STATE_BIT(VP_NS_PENDING),
						  true, "reconcile", 1000, NULL, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "lost race"));
	assert_int_equal(fx_count(f), 0); /* no AWS call */
	now = fx_record(f, b.n);
	assert_int_equal(now.id, b.id);
	assert_int_equal(now.state, VP_NS_PENDING);

	/* an expired pending record confirmed after the read is not released either */
	c = pending(f, "stack-confirmed", 60);
	fx_now += 120;
	assert_int_equal(vp_registry_transition(f->reg, c.n, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_ACTIVE, NULL, "r", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_broker_release_system(f->broker, &c, VP_NS_STATE_BIT(VP_NS_PENDING),
						  true, "reconcile", 1000, NULL, &err),
			 VP_ERR_CONFLICT);
	assert_int_equal(fx_count(f), 0);
	assert_int_equal(fx_record(f, c.n).state, VP_NS_ACTIVE);
}

/* n reused by the same account: a late release or confirm naming the earlier registration
 * (client_ref) refuses and changes nothing; by n alone it would act on the newer one. */
static void test_named_registration_only(void **state)
{
	struct fx *f = *state;
	struct vp_identity b = fx_caller(FX_B);
	struct vp_confirm_request req = {.peering_id = PCX, .vpc_id = CLIENT};
	struct vp_namespace_record old, now;
	struct vp_registration out;
	struct vp_error err;

	fx_now = 200000;
	old = pending(f, "stack-old", 60);
	assert_int_equal(vp_registry_transition(f->reg, old.n, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_RELEASING, NULL, "r", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_transition(f->reg, old.n, VP_NS_STATE_BIT(VP_NS_RELEASING),
						VP_NS_RELEASED, NULL, "r", NULL, &err),
			 VP_OK);
	fx_now += VP_REGISTRY_DEFAULT_QUARANTINE + 1;
	now = pending(f, "stack-new", 0);
	assert_int_equal(now.n, old.n);

	assert_int_equal(vp_broker_release(f->broker, &b, old.n, "stack-old", "rid", &out, &err),
			 VP_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "stack-new"));
	snprintf(req.client_ref, sizeof(req.client_ref), "stack-old");
	assert_int_equal(vp_broker_confirm(f->broker, &b, old.n, &req, "rid", &out, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "stack-old"));
	assert_int_equal(fx_count(f), 0); /* no AWS call */
	assert_int_equal(fx_record(f, now.n).id, now.id);
	assert_int_equal(fx_record(f, now.n).state, VP_NS_PENDING);

	/* naming the registration n holds: released as by n alone */
	fx_tables(f, "");
	assert_int_equal(vp_broker_release(f->broker, &b, now.n, "stack-new", "rid", &out, &err),
			 VP_OK);
	assert_int_equal(fx_record(f, now.n).state, VP_NS_RELEASED);
	/* and again: idempotent for the registration that was n's last */
	assert_int_equal(vp_broker_release(f->broker, &b, now.n, "stack-new", "rid", &out, &err),
			 VP_OK);
}

/* Defect 6: readiness proves a write, not only a read. */
static void test_readiness_needs_a_write(void **state)
{
	struct fx *f = *state;
	char path[128];
	sqlite3 *db = NULL;

	assert_null(vp_broker_readiness(f->broker));
	/* the disk is full for writes (a trigger stands in for SQLITE_FULL); reads still work */
	snprintf(path, sizeof(path), "%s/registry.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TRIGGER full_ins BEFORE INSERT ON heartbeats BEGIN "
				      "SELECT RAISE(ABORT, 'database or disk is full'); END; "
				      "CREATE TRIGGER full_upd BEFORE UPDATE ON heartbeats BEGIN "
				      "SELECT RAISE(ABORT, 'database or disk is full'); END",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_non_null(vp_broker_readiness(f->broker));
	assert_string_equal(vp_broker_readiness(f->broker), "registry_write");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_snapshot_released_nothing, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_readiness_needs_a_write, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_named_registration_only, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_routes_and_grant_removed, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_grant_kept_for_another_namespace, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
