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

#include "broker/internal.h"
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
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_broker_register(f->broker, &b, &req, "rid-1", &out, &created, &err),
			 VP_OK);
	assert_true(created);
	assert_int_equal(out.record.n, 1); /* 0 is the hub's */
	assert_string_equal(out.record.account, FX_B);
	assert_int_equal(out.record.state, VP_NS_PENDING);
	assert_string_equal(out.peer_vpc_id, FX_VPC);

	/* AWS: one read and one write of role A's trust policy; the quotas from the view. */
	assert_int_equal(fx_count(f), 2);
	fx_expect(f, 0, "GetRole", "RoleName=" FX_ROLE_A, NULL);
	fx_expect(f, 1, "UpdateAssumeRolePolicy", "RoleName=" FX_ROLE_A, FX_B,
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
	/* No GetRole: the broker knows the document it wrote for B (grants.c, "known document"). */
	fx_ok(f, "UpdateAssumeRolePolicy");
	assert_int_equal(vp_broker_register(f->broker, &c, &req, "rid-2", &out, &created, &err),
			 VP_OK);
	assert_int_equal(out.record.n, 2);
	assert_int_equal(fx_count(f), 1);
	fx_expect(f, 0, "UpdateAssumeRolePolicy", FX_C, FX_B, NULL);
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

/* Register ref for account as `caller` with no AWS answer scripted: the code, err filled. */
static vp_code try_register(struct fx *f, const char *account, const char *ref,
			    struct vp_registration *out, struct vp_error *err)
{
	struct vp_identity id = fx_caller(account);
	struct vp_register_request req;
	bool created = false;

	memset(&req, 0, sizeof(req));
	snprintf(req.client_ref, sizeof(req.client_ref), "%s", ref);
	return vp_broker_register(f->broker, &id, &req, "rid-limits", out, &created, err);
}

static int64_t live_of(struct fx *f, const char *account)
{
	int64_t live = -1;
	assert_int_equal(vp_registry_count_live_account(f->reg, account, &live, NULL), VP_OK);
	return live;
}

/* The 6th registration of one account is refused naming the flag, nothing allocated. */
static void test_account_cap(void **state)
{
	struct fx *f = *state;
	struct vp_registration out, first;
	struct vp_error err;
	char ref[32];

	fx_register(f, FX_B, "stack-0", true, &first);
	for (int i = 1; i < 5; i++) {
		snprintf(ref, sizeof(ref), "stack-%d", i);
		fx_register(f, FX_B, ref, false, &out); /* granted already: no AWS call */
	}
	assert_int_equal(try_register(f, FX_B, "stack-5", &out, &err), VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "--max-namespaces-per-account 5"));
	assert_non_null(strstr(err.message, "has 5 live"));
	assert_non_null(strstr(err.message, FX_B));
	assert_int_equal(fx_count(f), 0);
	assert_int_equal(live_of(f, FX_B), 5);

	/* Another account still registers. */
	fx_register(f, FX_C, "stack-c", true, &out);

	/* Once one of B's is released, B registers again. */
	assert_int_equal(vp_registry_transition(f->reg, first.record.n,
						VP_NS_STATE_BIT(VP_NS_PENDING), VP_NS_RELEASING,
						NULL, "rid-test", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_transition(f->reg, first.record.n,
						VP_NS_STATE_BIT(VP_NS_RELEASING), VP_NS_RELEASED,
						NULL, "rid-test", NULL, &err),
			 VP_OK);
	fx_register(f, FX_B, "stack-5", false, &out);
	assert_int_equal(live_of(f, FX_B), 5);
}

/* 0: no cap. */
static void test_account_cap_off(void **state)
{
	struct fx *f = *state;
	struct vp_registration out;
	char ref[32];

	fx_register(f, FX_B, "stack-0", true, &out);
	for (int i = 1; i < 8; i++) {
		snprintf(ref, sizeof(ref), "stack-%d", i);
		fx_register(f, FX_B, ref, false, &out);
	}
	assert_int_equal(live_of(f, FX_B), 8);
}

static int setup_no_cap(void **state)
{
	static struct fx f;

	fx_init(&f);
	f.cfg.max_namespaces_per_account = 0;
	fx_start(&f);
	*state = &f;
	return 0;
}

/* An expired pending registration counts toward no limit and cannot be confirmed. */
static void test_expired_pending(void **state)
{
	struct fx *f = *state;
	struct vp_registration out, first;
	struct vp_namespace_record rec;
	struct vp_error err;
	char ref[32];

	fx_now = 1800000000;
	fx_register(f, FX_B, "stack-0", true, &first);
	for (int i = 1; i < 5; i++) {
		snprintf(ref, sizeof(ref), "stack-%d", i);
		fx_register(f, FX_B, ref, false, &out);
	}
	assert_int_equal(first.record.expires_at, fx_now + 1800); /* the default TTL */
	assert_int_equal(try_register(f, FX_B, "stack-5", &out, &err), VP_ERR_EXHAUSTED);
	rec = fx_record(f, first.record.n);
	assert_int_equal(vp_broker_check_not_expired(f->broker, &rec, &err), VP_OK);

	/* The TTL passes: the five are still live (the reconciler releases them) but count
	 * toward nothing, and none can be confirmed. */
	fx_now += 1800;
	assert_int_equal(vp_broker_check_not_expired(f->broker, &rec, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "--pending-ttl"));
	assert_non_null(strstr(err.message, "expired at 2027-01-15T08:30:00Z"));
	fx_register(f, FX_B, "stack-5", false, &out);
	assert_int_equal(live_of(f, FX_B), 6);
	rec = fx_record(f, out.record.n);
	assert_int_equal(vp_broker_check_not_expired(f->broker, &rec, &err), VP_OK);
	fx_now = 0;
}

/*
 * Two namespaces of FX_B fit, FX_C's third is refused by a quota of the view:
 * the message names flag and also; nothing allocated, no AWS call.
 */
static void assert_third_refused(struct fx *f, const char *flag, const char *also)
{
	struct vp_registration out;
	struct vp_error err;

	fx_register(f, FX_B, "stack-1", true, &out);
	fx_register(f, FX_B, "stack-2", false, &out);
	assert_int_equal(try_register(f, FX_C, "stack-3", &out, &err), VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, flag));
	assert_non_null(strstr(err.message, also));
	assert_int_equal(fx_count(f), 0);
	assert_int_equal(live_of(f, FX_C), 0);
}

/* A quota-view test's fixture: these quotas (0: the default) and this hub. */
static int start_quota_hub(void **state, int max_peerings, int max_routes, const char *peerings,
			   const char *routes)
{
	static struct fx f;

	fx_init(&f);
	if (max_peerings)
		f.cfg.max_peerings = max_peerings;
	if (max_routes)
		f.cfg.max_routes_per_table = max_routes;
	fx_start_hub(&f, peerings, routes);
	*state = &f;
	return 0;
}

/* The peering quota: a stray active peering counts, a foreign pending request does not. */
static void test_quota_view_peerings(void **state)
{
	/* max-peerings 3, one stray: two namespaces fit, the third does not. */
	assert_third_refused(*state, "--max-peerings 3", "1 other active peering");
}

#define PEERING_ITEM(id, status)                                                                   \
	"<item><vpcPeeringConnectionId>" id "</vpcPeeringConnectionId><requesterVpcInfo>"          \
	"<ownerId>999999999999</ownerId><vpcId>vpc-99999999</vpcId><region>us-east-1</region>"     \
	"</requesterVpcInfo><accepterVpcInfo><ownerId>" FX_HUB "</ownerId><vpcId>" FX_VPC          \
	"</vpcId><region>us-east-1</region></accepterVpcInfo><status><code>" status                \
	"</code><message>-</message></status></item>"

static int setup_peerings(void **state)
{
	return start_quota_hub(state, 3, 0,
			       PEERING_ITEM("pcx-5555aaaa", "active")
				       PEERING_ITEM("pcx-6666bbbb", "pending-acceptance")
					       PEERING_ITEM("pcx-7777cccc", "pending-acceptance"),
			       "");
}

/* The route quota: a table's own routes (here one to an internet gateway) count. */
static void test_quota_view_routes(void **state)
{
	assert_third_refused(*state, "--max-routes-per-table 3", FX_RTB1);
}

static int setup_routes(void **state)
{
	return start_quota_hub(state, 0, 3, "",
			       "<item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock>"
			       "<gatewayId>igw-12345678</gatewayId><state>active</state></item>");
}

/* What a live namespace owns (its peering, its intent's, and its routes) is not a stray. */
static void test_quota_view_owned(void **state)
{
	struct fx *f = *state;
	struct vp_registration out;
	struct vp_error err;

	/* max-peerings 2, max-routes 2: n = 1 and its peering and routes, plus one more. */
	fx_register(f, FX_C, "stack-c", true, &out);
	assert_int_equal(out.record.n, 2);
	assert_int_equal(try_register(f, FX_C, "stack-d", &out, &err), VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "--max-peerings 2"));
	assert_non_null(strstr(err.message, "0 other active peering"));
}

static int setup_owned(void **state)
{
	static struct fx f;
	struct vp_namespace_record rec;
	bool created = false;

	fx_init(&f);
	f.cfg.max_peerings = 2;
	f.cfg.max_routes_per_table = 2;
	assert_int_equal(
		vp_registry_allocate(f.reg, FX_B, "owner", NULL, "rid", 0, &rec, &created, NULL),
		VP_OK);
	assert_int_equal(rec.n, 1);
	assert_int_equal(
		vp_registry_set_intent(f.reg, 1, "pcx-5555aaaa", "vpc-12121212", "rid", NULL, NULL),
		VP_OK);
	fx_start_hub(&f, PEERING_ITEM("pcx-5555aaaa", "active"),
		     "<item><destinationCidrBlock>10.0.4.0/22</destinationCidrBlock>"
		     "<vpcPeeringConnectionId>pcx-5555aaaa</vpcPeeringConnectionId>"
		     "<state>active</state></item>");
	*state = &f;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lowest_n_and_one_grant, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_replay_same_n_no_aws, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disallowed_account_refused, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_account_cap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_account_cap_off, setup_no_cap, fx_teardown),
		cmocka_unit_test_setup_teardown(test_expired_pending, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_quota_view_peerings, setup_peerings,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_quota_view_routes, setup_routes, fx_teardown),
		cmocka_unit_test_setup_teardown(test_quota_view_owned, setup_owned, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
