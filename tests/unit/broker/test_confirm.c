/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Confirm (docs/broker.md) against a scripted AWS: a peering whose requester
 * account, VPC or CIDR is not the namespace's is refused and nothing changes;
 * a matching active peering (peer-role mode: the fixture's) is tagged, gets the
 * client's block routed in each hub route table, then the namespace is active.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define PCX    "pcx-0b0b0b0b"
#define CLIENT "vpc-0c0c0c0c"

struct world {
	struct fx f;
	struct vp_registration reg;
};

static int setup(void **state)
{
	static struct world w;

	fx_init(&w.f);
	fx_start(&w.f);
	fx_register(&w.f, FX_B, "stack-c", true, &w.reg);
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	fx_free(&w->f);
	return 0;
}

static struct vp_confirm_request confirm_req(const char *pcx, const char *vpc)
{
	struct vp_confirm_request req;

	memset(&req, 0, sizeof(req));
	snprintf(req.peering_id, sizeof(req.peering_id), "%s", pcx);
	snprintf(req.vpc_id, sizeof(req.vpc_id), "%s", vpc);
	return req;
}

/* One mismatching peering: 409 naming what differs, one DescribeVpcPeeringConnections, the
 * record as it was (pending, no intent). */
static void refused(struct world *w, const char *owner, const char *vpc, const char *cidr,
		    const char *why)
{
	struct fx *f = &w->f;
	struct vp_identity b = fx_caller(FX_B);
	struct vp_confirm_request req = confirm_req(PCX, CLIENT);
	struct vp_registration out;
	struct vp_namespace_record rec;
	struct vp_error err;

	stub_reset(f->stub);
	fx_peering(f, PCX, owner, vpc, cidr, "active");
	fx_ok(f, "CreateRoute"); /* there to be used by mistake */
	assert_int_equal(
		vp_broker_confirm(f->broker, &b, w->reg.record.n, &req, "rid-bad", &out, &err),
		VP_ERR_CONFLICT);
	if (!strstr(err.message, why))
		fail_msg("'%s' does not say '%s'", err.message, why);
	assert_int_equal(fx_count(f), 1);
	fx_expect(f, 0, "DescribeVpcPeeringConnections", "VpcPeeringConnectionId.1=" PCX, NULL);
	rec = fx_record(f, w->reg.record.n);
	assert_int_equal(rec.state, VP_NS_PENDING);
	assert_string_equal(rec.peering_id, "");
	assert_string_equal(rec.vpc_id, "");
}

static void test_mismatch_refused_nothing_changed(void **state)
{
	struct world *w = *state;
	const char *cidr = w->reg.record.vpc_cidr;

	refused(w, FX_C, CLIENT, cidr, "requested by account " FX_C);
	refused(w, FX_B, "vpc-0d0d0d0d", cidr, "requested from VPC vpc-0d0d0d0d");
	refused(w, FX_B, CLIENT, "10.200.0.0/22", "has CIDR 10.200.0.0/22");
}

static void test_routes_in_each_table_then_active(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_identity b = fx_caller(FX_B);
	struct vp_confirm_request req = confirm_req(PCX, CLIENT);
	struct vp_registration out;
	struct vp_namespace_record rec;
	struct vp_error err;
	char dest[64];

	fx_form_cidr(w->reg.record.vpc_cidr, dest, sizeof(dest));

	fx_peering(f, PCX, FX_B, CLIENT, w->reg.record.vpc_cidr, "active");
	fx_ok(f, "CreateTags");
	fx_ok(f, "CreateRoute");
	fx_ok(f, "CreateRoute");
	assert_int_equal(
		vp_broker_confirm(f->broker, &b, w->reg.record.n, &req, "rid-ok", &out, &err),
		VP_OK);
	assert_int_equal(out.record.state, VP_NS_ACTIVE);
	assert_string_equal(out.record.peering_id, PCX);

	assert_int_equal(fx_count(f), 4);
	fx_expect(f, 0, "DescribeVpcPeeringConnections", NULL);
	/* the hub's tags (broker/tags.h) on the peering it routes */
	fx_expect(f, 1, "CreateTags", "ResourceId.1=" PCX, "vpcpeer%3Anamespace", "vpcpeer-1",
		  NULL);
	fx_expect(f, 2, "CreateRoute", "RouteTableId=" FX_RTB1, dest, "VpcPeeringConnectionId=" PCX,
		  NULL);
	fx_expect(f, 3, "CreateRoute", "RouteTableId=" FX_RTB2, dest, "VpcPeeringConnectionId=" PCX,
		  NULL);

	rec = fx_record(f, w->reg.record.n);
	assert_int_equal(rec.state, VP_NS_ACTIVE);
	assert_string_equal(rec.peering_id, PCX);
	assert_string_equal(rec.vpc_id, CLIENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mismatch_refused_nothing_changed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_routes_in_each_table_then_active, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
