/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's workflows (src/broker) against awsenv (moto behind a strict
 * proxy) and a temporary SQLite registry. The hub (VPC 10.0.0.0/22, two peer
 * roles) is set up in account 111111111111 through the project's AWS client;
 * clients create their VPC and peering and accept it by assuming the peer
 * role, as CloudFormation would.
 *
 * Covered: the life cycle with hub routes and trust policy checked, replays,
 * each confirm mismatch (nothing changed), quota refusals (peerings, routes,
 * trust policy spilling into the second role, all full), concurrent
 * registrations (distinct n's, each account granted once), revocation only
 * when an account has no other live namespace, failure injection (a trust
 * policy update failing past the retries leaves nothing behind; a route
 * failing midway takes back the routes added), and the start-up checks.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "awsenv_client.h"
#include "hub_world.h"
#include "core/metrics.h"
#include "aws/client.h"
#include "aws/ec2.h"
#include "aws/iam.h"
#include "aws/sts.h"
#include "broker/broker.h"
#include "core/log.h"
#include "registry/registry.h"

#define HUB       "111111111111"
#define B         "222222222222"
#define C         "333333333333"
#define REGION    "us-east-1"
#define ROLE1     "vpcpeer-peer-1"
#define ROLE2     "vpcpeer-peer-2"
#define ROLE1_ARN "arn:aws:iam::" HUB ":role/" ROLE1
#define ROLE2_ARN "arn:aws:iam::" HUB ":role/" ROLE2

static const struct {
	const char *account, *key, *secret;
} keys[] = {
	{HUB, "AKIAHUB1111111111111", "hubSecret0000000000000000000000000000000"},
	{B, "AKIACLIENTB222222222", "clientBSecret000000000000000000000000000"},
	{C, "AKIACLIENTC333333333", "clientCSecret000000000000000000000000000"},
};

static struct vp_test_awsenv env;

/* One test's world: the hub in awsenv, a registry, a broker. */
struct world {
	struct vp_aws_client *hub;
	struct vp_aws_client *b, *c;
	char *hub_vpc;
	char *main_rtb;
	char dir[VP_TEST_REGISTRY_DIR_MAX];
	char url[128];
	struct vp_registry *reg;
	struct vp_metrics *metrics;
	struct vp_broker_config cfg;
	struct vp_broker *broker;
};

static struct vp_aws_client *client_of(const char *account)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].account, account) == 0)
			return vp_test_aws_client(&env, keys[i].key, keys[i].secret, NULL, 0.002);
	fail_msg("no keys for %s", account);
	return NULL;
}

static struct vp_identity who(const char *account)
{
	struct vp_identity id;
	memset(&id, 0, sizeof(id));
	snprintf(id.account, sizeof(id.account), "%s", account);
	snprintf(id.arn, sizeof(id.arn), "arn:aws:iam::%s:user/client", account);
	snprintf(id.user_id, sizeof(id.user_id), "AIDATEST");
	return id;
}

static struct vp_register_request reg_req(const char *ref)
{
	struct vp_register_request r;
	memset(&r, 0, sizeof(r));
	snprintf(r.client_ref, sizeof(r.client_ref), "%s", ref);
	return r;
}

/* The hub: VPC 10.0.0.0/22 and the two peer roles; a registry; the broker config. */
static void world_init(struct world *w)
{
	struct vp_aws_ec2_route_table_list *tables = NULL;
	struct vp_aws_error aerr;

	memset(w, 0, sizeof(*w));
	assert_int_equal(vp_test_awsenv_reset(&env), 0);
	w->hub = client_of(HUB);
	w->b = client_of(B);
	w->c = client_of(C);
	w->hub_vpc = vp_test_aws_raw(w->hub, VP_AWS_EC2, "CreateVpc", "vpcId", "CidrBlock",
				     "10.0.0.0/22", (char *)NULL);
	vp_test_create_peer_roles(w->hub, HUB, (const char *const[]){ROLE1, ROLE2}, 2);
	{
		const char *vpc[] = {w->hub_vpc};
		struct vp_aws_ec2_filter f = {"vpc-id", vpc, 1};
		struct vp_aws_ec2_query q = {.filters = &f, .filter_count = 1};
		assert_int_equal(vp_aws_ec2_describe_route_tables(w->hub, &q, &tables, &aerr),
				 VP_OK);
		assert_int_equal(tables->count, 1);
		w->main_rtb = strdup(tables->items[0].route_table_id);
		vp_aws_ec2_route_table_list_free(tables);
	}

	w->reg = vp_test_registry_new("vpcpeer-broker", w->dir, w->url, sizeof(w->url));
	w->metrics = vp_metrics_new();

	vp_broker_config_init(&w->cfg);
	w->cfg.hub_account = HUB;
	w->cfg.hub_vpc = w->hub_vpc;
	w->cfg.hub_region = REGION;
	/* These tests are peer-role mode's (the client accepts with the role); broker mode's
	 * checks are tests/e2e/test_broker_accepts.py's. */
	w->cfg.peering_accepter = VP_PEERING_ACCEPTER_PEER_ROLE;
	w->cfg.peer_roles[0] = ROLE1;
	w->cfg.peer_roles[1] = ROLE2;
	w->cfg.peer_role_count = 2;
	w->cfg.allow_accounts[0] = B;
	w->cfg.allow_accounts[1] = C;
	w->cfg.allow_account_count = 2;
	w->cfg.admin_arns[0] = "arn:aws:iam::" HUB ":role/admin";
	w->cfg.admin_arn_count = 1;
	w->cfg.grant_settle_ms = 0;
}

static void world_start(struct world *w)
{
	struct vp_error err;
	if (vp_broker_new(&w->cfg, w->reg, w->hub, w->metrics, &w->broker, &err) != VP_OK)
		fail_msg("broker: %s", err.message);
}

static void world_free(struct world *w)
{
	vp_broker_free(w->broker);
	vp_registry_close(w->reg);
	vp_metrics_free(w->metrics);
	vp_aws_client_free(w->hub);
	vp_aws_client_free(w->b);
	vp_aws_client_free(w->c);
	free(w->hub_vpc);
	free(w->main_rtb);
	vp_test_registry_remove(w->dir);
}

/* The trust policy of a role as IAM has it now (caller frees). */
static char *trust_of(struct world *w, const char *role)
{
	struct vp_aws_iam_role *r = NULL;
	struct vp_aws_error aerr;
	char *doc;

	assert_int_equal(vp_aws_iam_get_role(w->hub, role, &r, &aerr), VP_OK);
	doc = strdup(r->assume_role_policy_document);
	vp_aws_iam_role_free(r);
	return doc;
}

/* How often the account's root ARN appears in the role's trust policy. */
static int trust_count(struct world *w, const char *role, const char *account)
{
	char needle[64], *doc = trust_of(w, role);
	int count = 0;

	snprintf(needle, sizeof(needle), "arn:aws:iam::%s:root", account);
	for (const char *p = doc; (p = strstr(p, needle)); p += strlen(needle))
		count++;
	free(doc);
	return count;
}

/* The target of the route toward cidr in a hub table ("" when none; caller frees). */
static char *route_in(struct world *w, const char *rtb, const char *cidr)
{
	const char *ids[] = {rtb};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_ec2_route_table_list *tables = NULL;
	struct vp_aws_error aerr;
	char *target = strdup("");

	assert_int_equal(vp_aws_ec2_describe_route_tables(w->hub, &q, &tables, &aerr), VP_OK);
	for (size_t i = 0; i < tables->items[0].route_count; i++) {
		const struct vp_aws_ec2_route *r = &tables->items[0].routes[i];
		if (r->destination_cidr_block && strcmp(r->destination_cidr_block, cidr) == 0) {
			free(target);
			target = strdup(r->vpc_peering_connection_id ? r->vpc_peering_connection_id
					: r->gateway_id              ? r->gateway_id
								     : "?");
		}
	}
	vp_aws_ec2_route_table_list_free(tables);
	return target;
}

static void assert_no_route(struct world *w, const char *rtb, const char *cidr)
{
	char *t = route_in(w, rtb, cidr);
	assert_string_equal(t, "");
	free(t);
}

static struct vp_registration *registration(void)
{
	struct vp_registration *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	return r;
}

static int64_t must_register(struct world *w, const char *account, const char *ref,
			     struct vp_registration *out, bool expect_created)
{
	struct vp_identity id = who(account);
	struct vp_register_request req = reg_req(ref);
	struct vp_error err;
	bool created = !expect_created;

	if (vp_broker_register(w->broker, &id, &req, "req-test", out, &created, &err) != VP_OK)
		fail_msg("register %s %s: %s", account, ref, err.message);
	assert_int_equal(created, expect_created);
	return out->record.n;
}

/* The client's side: a VPC with cidr, a peering to the hub; accepted with the peer role unless
 * accept is false. Returns the peering id; *vpc gets the VPC id (caller frees both). */
static char *client_peering(struct world *w, struct vp_aws_client *client, const char *cidr,
			    const char *role_arn, bool accept, char **vpc)
{
	char *pcx;

	*vpc = vp_test_aws_raw(client, VP_AWS_EC2, "CreateVpc", "vpcId", "CidrBlock", cidr,
			       (char *)NULL);
	pcx = vp_test_aws_raw(client, VP_AWS_EC2, "CreateVpcPeeringConnection",
			      "vpcPeeringConnectionId", "VpcId", *vpc, "PeerVpcId", w->hub_vpc,
			      "PeerOwnerId", HUB, "PeerRegion", REGION, (char *)NULL);
	if (accept) {
		struct vp_aws_assume_role_input in = {.role_arn = role_arn,
						      .session_name = "cloudformation"};
		struct vp_aws_assumed_role *r = NULL;
		struct vp_aws_client *as_peer;
		struct vp_aws_error aerr;

		if (vp_aws_sts_assume_role(client, &in, &r, &aerr) != VP_OK)
			fail_msg("AssumeRole %s: %s", role_arn, aerr.error.message);
		as_peer = vp_test_aws_client(&env, r->credentials.access_key_id,
					     r->credentials.secret_access_key,
					     r->credentials.session_token, 0.002);
		if (vp_aws_ec2_accept_vpc_peering_connection(as_peer, pcx, NULL, &aerr) != VP_OK)
			fail_msg("accept: %s", aerr.error.message);
		vp_aws_client_free(as_peer);
		vp_aws_assumed_role_free(r);
	}
	return pcx;
}

static vp_code confirm(struct world *w, const char *account, int64_t n, const char *pcx,
		       const char *vpc, struct vp_registration *out, struct vp_error *err)
{
	struct vp_identity id = who(account);
	struct vp_confirm_request req;

	memset(&req, 0, sizeof(req));
	snprintf(req.peering_id, sizeof(req.peering_id), "%s", pcx);
	snprintf(req.vpc_id, sizeof(req.vpc_id), "%s", vpc);
	return vp_broker_confirm(w->broker, &id, n, &req, "req-confirm", out, err);
}

static vp_code release(struct world *w, const char *account, int64_t n, struct vp_registration *out,
		       struct vp_error *err)
{
	struct vp_identity id = who(account);
	return vp_broker_release(w->broker, &id, n, NULL, "req-release", out, err);
}

static int64_t live_count(struct world *w)
{
	int64_t live = -1;
	assert_int_equal(vp_registry_count_live(w->reg, &live, NULL), VP_OK);
	return live;
}

/* ---- tests ---- */

static void test_life_cycle(void **state)
{
	struct world w;
	struct vp_registration *r = registration(), *again = registration();
	struct vp_identity b = who(B), c = who(C), admin = who(HUB);
	struct vp_error err;
	char *vpc, *pcx, *t, *metrics;
	size_t count = 0;
	int64_t next = -1;
	(void)state;

	/* IAM propagation: AssumeRole sees the old policy for 1 s; the broker waits 1.2 s. */
	world_init(&w);
	vp_test_awsenv_post(&env, "/_awsenv/config", "{\"iam_propagation_delay\": 1}");
	w.cfg.grant_settle_ms = 1200;
	world_start(&w);

	assert_int_equal(must_register(&w, B, "stack-1/Registration", r, true), 1);
	assert_string_equal(r->record.vpc_cidr, "10.0.4.0/22");
	assert_string_equal(r->record.peer_role_arn, ROLE1_ARN);
	assert_int_equal(r->record.state, VP_NS_PENDING);
	assert_int_equal(r->plan.subnet_count, 4);
	assert_string_equal(r->peer_vpc_id, w.hub_vpc);
	assert_string_equal(r->peer_owner_id, HUB);
	assert_string_equal(r->peer_region, REGION);
	assert_string_equal(r->peer_cidr, "10.0.0.0/22");
	assert_int_equal(trust_count(&w, ROLE1, B), 1);
	assert_int_equal(trust_count(&w, ROLE2, B), 0);

	/* a replay: the same, nothing new, the trust entry still once */
	assert_int_equal(must_register(&w, B, "stack-1/Registration", again, false), 1);
	assert_int_equal(again->record.id, r->record.id);
	assert_int_equal(live_count(&w), 1);
	assert_int_equal(trust_count(&w, ROLE1, B), 1);

	/* the client peers (AssumeRole works right away: the broker waited) and confirms */
	pcx = client_peering(&w, w.b, r->record.vpc_cidr, r->record.peer_role_arn, true, &vpc);
	assert_int_equal(confirm(&w, B, 1, pcx, vpc, r, &err), VP_OK);
	assert_int_equal(r->record.state, VP_NS_ACTIVE);
	assert_string_equal(r->record.peering_id, pcx);
	assert_string_equal(r->record.vpc_id, vpc);
	t = route_in(&w, w.main_rtb, "10.0.4.0/22");
	assert_string_equal(t, pcx);
	free(t);
	/* confirm again: the same answer */
	assert_int_equal(confirm(&w, B, 1, pcx, vpc, again, &err), VP_OK);
	assert_int_equal(again->record.state, VP_NS_ACTIVE);

	/* who sees it */
	assert_int_equal(vp_broker_get(w.broker, &b, 1, again, &err), VP_OK);
	/* another account's n is answered as absent (issue 14) */
	assert_int_equal(vp_broker_get(w.broker, &c, 1, again, &err), VP_ERR_NOT_FOUND);
	assert_int_equal(vp_broker_get(w.broker, &b, 99, again, &err), VP_ERR_NOT_FOUND);
	assert_int_equal(vp_broker_get(w.broker, &admin, 1, again, &err),
			 VP_ERR_FORBIDDEN); /* not allowed, not yet an admin */
	snprintf(admin.arn, sizeof(admin.arn), "arn:aws:sts::%s:assumed-role/admin/ops", HUB);
	assert_true(vp_broker_is_admin(w.broker, &admin));
	assert_int_equal(vp_broker_get(w.broker, &admin, 1, again, &err), VP_OK);
	assert_int_equal(vp_broker_list(w.broker, &b, 0, NULL, 0, again, 1, &count, &next, &err),
			 VP_OK);
	assert_int_equal(count, 1);
	assert_int_equal(vp_broker_list(w.broker, &c, 0, NULL, 0, again, 1, &count, &next, &err),
			 VP_OK);
	assert_int_equal(count, 0);
	assert_int_equal(vp_broker_list(w.broker, &c, 0, B, 0, again, 1, &count, &next, &err),
			 VP_ERR_FORBIDDEN);
	assert_int_equal(vp_broker_list(w.broker, &admin, 0, B, 0, again, 1, &count, &next, &err),
			 VP_OK);
	assert_int_equal(count, 1);
	assert_int_equal(confirm(&w, C, 1, pcx, vpc, again, &err), VP_ERR_NOT_FOUND);
	assert_int_equal(release(&w, C, 1, again, &err), VP_ERR_NOT_FOUND);

	metrics = vp_metrics_render(w.metrics); /* one live namespace holds one peering */
	assert_non_null(strstr(metrics, "\nvpcpeer_quota_used{quota=\"peerings\"} 1\n"));
	free(metrics);

	/* release: the route and the trust entry go, the namespace is released; again is fine */
	assert_int_equal(release(&w, B, 1, r, &err), VP_OK);
	assert_int_equal(r->record.state, VP_NS_RELEASED);
	assert_no_route(&w, w.main_rtb, "10.0.4.0/22");
	assert_int_equal(trust_count(&w, ROLE1, B), 0);
	assert_int_equal(release(&w, B, 1, again, &err), VP_OK);
	assert_int_equal(again->record.state, VP_NS_RELEASED);
	assert_int_equal(live_count(&w), 0);
	{
		char *doc = trust_of(&w, ROLE1);
		assert_non_null(strstr(doc, "arn:aws:iam::" HUB ":root")); /* never touched */
		assert_null(strstr(doc, "VpcpeerClientAccounts"));
		free(doc);
	}

	metrics = vp_metrics_render(w.metrics);
	assert_non_null(strstr(metrics, "vpcpeer_trust_batch_size_count"));
	assert_non_null(
		strstr(metrics, "vpcpeer_aws_calls_total{action=\"CreateRoute\",outcome=\"ok\"}"));
	assert_non_null(strstr(metrics, "vpcpeer_namespaces{state=\"active\"} 0"));
	{ /* quota use (issue 17): nothing live, the hub's own routes, the role's document */
		char want[256];
		const char *at;
		assert_non_null(strstr(metrics, "\nvpcpeer_quota_used{quota=\"peerings\"} 0\n"));
		assert_non_null(strstr(metrics, "\nvpcpeer_quota_limit{quota=\"peerings\"} 50\n"));
		snprintf(want, sizeof(want),
			 "\nvpcpeer_quota_used{quota=\"routes\",route_table=\"%s\"} ", w.main_rtb);
		at = strstr(metrics, want);
		assert_non_null(at);
		assert_int_equal(strtol(at + strlen(want), NULL, 10), 0); /* none of the broker's */
		snprintf(want, sizeof(want),
			 "\nvpcpeer_quota_limit{quota=\"routes\",route_table=\"%s\"} 50\n",
			 w.main_rtb);
		assert_non_null(strstr(metrics, want));
		at = strstr(metrics,
			    "\nvpcpeer_quota_used{quota=\"trust_policy_chars\",role=\"" ROLE1_ARN
			    "\"} ");
		assert_non_null(at);
		assert_true(strtod(strchr(at + 1, '}') + 1, NULL) > 50.0);
	}
	free(metrics);
	free(vpc);
	free(pcx);
	free(r);
	free(again);
	world_free(&w);
}

static void expect_conflict(struct world *w, const char *account, int64_t n, const char *pcx,
			    const char *vpc, const char *words)
{
	struct vp_registration *out = registration();
	struct vp_namespace_record rec;
	struct vp_error err;

	assert_int_equal(confirm(w, account, n, pcx, vpc, out, &err), VP_ERR_CONFLICT);
	if (!strstr(err.message, words))
		fail_msg("expected '%s' in: %s", words, err.message);
	/* nothing changed (a peering refused once active, its CIDR blocks shown only then, is
	 * deleted and confirm's intent cleared again) */
	assert_int_equal(vp_registry_get(w->reg, n, &rec, NULL), VP_OK);
	assert_int_equal(rec.state, VP_NS_PENDING);
	assert_string_equal(rec.peering_id, "");
	assert_no_route(w, w->main_rtb, rec.vpc_cidr);
	free(out);
}

static void test_confirm_mismatches(void **state)
{
	struct world w;
	struct vp_registration *rb = registration(), *rc = registration();
	struct vp_aws_error aerr;
	struct vp_error err;
	char *vpc_b, *pcx_b, *other_vpc, *vpc_b2, *pcx_b2, *vpc_c, *pcx_c, *vpc_p, *pcx_p;
	(void)state;

	world_init(&w);
	world_start(&w);
	must_register(&w, B, "b", rb, true);
	must_register(&w, C, "c", rc, true);
	assert_int_equal(rb->record.n, 1);
	assert_int_equal(rc->record.n, 2);

	/* an id EC2 does not know: to EC2 it looks like one created a moment ago (eventual
	 * consistency), so it is read again for a while, then retryable, never a 409 */
	assert_int_equal(
		confirm(&w, B, 1, "pcx-0123456789abcdef0", "vpc-0123456789abcdef0", rb, &err),
		VP_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "not known to EC2 (yet)"));
	/* B's right peering, but another VPC named */
	pcx_b = client_peering(&w, w.b, "10.0.4.0/22", rb->record.peer_role_arn, true, &vpc_b);
	other_vpc = vp_test_aws_raw(w.b, VP_AWS_EC2, "CreateVpc", "vpcId", "CidrBlock",
				    "192.168.0.0/24", (char *)NULL);
	expect_conflict(&w, B, 1, pcx_b, other_vpc, "requested from VPC");
	/* B peers a VPC with n = 2's block and offers it for n = 1 */
	pcx_b2 = client_peering(&w, w.b, "10.0.8.0/22", rb->record.peer_role_arn, true, &vpc_b2);
	expect_conflict(&w, B, 1, pcx_b2, vpc_b2, "has block 10.0.8.0/22");
	/* C's peering offered by B (an admin could, too): wrong account */
	pcx_c = client_peering(&w, w.c, "10.0.8.0/22", rc->record.peer_role_arn, true, &vpc_c);
	expect_conflict(&w, B, 1, pcx_c, vpc_c, "requested by account " C);
	/* not accepted yet, and the broker does not accept */
	pcx_p = client_peering(&w, w.b, "10.0.4.0/22", rb->record.peer_role_arn, false, &vpc_p);
	expect_conflict(&w, B, 1, pcx_p, vpc_p, "pending-acceptance, not active");
	/* deleted by the client */
	assert_int_equal(vp_aws_ec2_delete_vpc_peering_connection(w.b, pcx_b, &aerr), VP_OK);
	expect_conflict(&w, B, 1, pcx_b, vpc_b, pcx_b);
	/* a wrong state */
	assert_int_equal(confirm(&w, C, 2, pcx_c, vpc_c, rc, &err), VP_OK);
	assert_int_equal(release(&w, C, 2, rc, &err), VP_OK);
	assert_int_equal(confirm(&w, C, 2, pcx_c, vpc_c, rc, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "released, not pending"));

	/* the same hub in broker mode: the pending one is accepted and confirmed */
	vp_broker_free(w.broker);
	w.cfg.peering_accepter = VP_PEERING_ACCEPTER_BROKER;
	world_start(&w);
	assert_int_equal(confirm(&w, B, 1, pcx_p, vpc_p, rb, &err), VP_OK);
	assert_int_equal(rb->record.state, VP_NS_ACTIVE);
	{
		char *t = route_in(&w, w.main_rtb, "10.0.4.0/22");
		assert_string_equal(t, pcx_p);
		free(t);
	}
	/* active with another peering: conflict, still active with the first */
	assert_int_equal(confirm(&w, B, 1, pcx_b2, vpc_b2, rc, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "is active with peering"));
	assert_int_equal(confirm(&w, B, 1, pcx_p, vpc_p, rc, &err), VP_OK);
	free(vpc_b), free(pcx_b), free(other_vpc), free(vpc_b2), free(pcx_b2);
	free(vpc_c), free(pcx_c), free(vpc_p), free(pcx_p);
	free(rb);
	free(rc);
	world_free(&w);
}

static void test_quota_peerings(void **state)
{
	struct world w;
	struct vp_registration *r = registration();
	struct vp_identity b = who(B);
	struct vp_register_request req = reg_req("third");
	struct vp_error err;
	bool created;
	(void)state;

	world_init(&w);
	w.cfg.max_peerings = 2;
	world_start(&w);
	must_register(&w, B, "first", r, true);
	must_register(&w, C, "second", r, true);
	assert_int_equal(vp_broker_register(w.broker, &b, &req, "req-3", r, &created, &err),
			 VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "--max-peerings 2"));
	assert_non_null(strstr(err.message, "Service Quotas"));
	assert_int_equal(live_count(&w), 2);
	/* a replay still answers */
	assert_int_equal(must_register(&w, C, "second", r, false), 2);
	/* room again after a release */
	assert_int_equal(release(&w, B, 1, r, &err), VP_OK);
	assert_int_equal(must_register(&w, B, "third", r, true), 3); /* 1 is in quarantine */
	free(r);
	world_free(&w);
}

static void test_quota_routes(void **state)
{
	struct world w;
	struct vp_registration *r = registration();
	struct vp_identity c = who(C);
	struct vp_register_request req = reg_req("second");
	struct vp_error err;
	char *igw;
	bool created;
	(void)state;

	world_init(&w);
	/* the hub table has a route of its own (internet), so 2 routes leave room for 1 client */
	igw = vp_test_aws_raw(w.hub, VP_AWS_EC2, "CreateInternetGateway", "internetGatewayId",
			      (char *)NULL);
	free(vp_test_aws_raw(w.hub, VP_AWS_EC2, "AttachInternetGateway", NULL, "InternetGatewayId",
			     igw, "VpcId", w.hub_vpc, (char *)NULL));
	free(vp_test_aws_raw(w.hub, VP_AWS_EC2, "CreateRoute", NULL, "RouteTableId", w.main_rtb,
			     "DestinationCidrBlock", "0.0.0.0/0", "GatewayId", igw, (char *)NULL));
	w.cfg.max_routes_per_table = 2;
	world_start(&w);
	must_register(&w, B, "first", r, true);
	assert_int_equal(vp_broker_register(w.broker, &c, &req, "req-2", r, &created, &err),
			 VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, w.main_rtb));
	assert_non_null(strstr(err.message, "--max-routes-per-table 2"));
	assert_int_equal(live_count(&w), 1);
	assert_int_equal(trust_count(&w, ROLE1, C), 0);
	free(igw);
	free(r);
	world_free(&w);
}

/* Accounts that need no keys: the broker only sees identities. */
static void fake_account(char out[13], int i)
{
	snprintf(out, 13, "5%011d", i);
}

static void test_trust_pool_spills_then_exhausted(void **state)
{
	struct world w;
	struct vp_registration *r = registration();
	struct vp_error err;
	char acct[13], ref[32];
	bool created;
	(void)state;

	world_init(&w);
	/* 340 characters: the hub's statement and the broker's with 3 accounts (332) */
	vp_test_awsenv_post(&env, "/_awsenv/config", "{\"trust_policy_quota\": 340}");
	w.cfg.trust_policy_quota = 340;
	w.cfg.allow_any_account = true;
	world_start(&w);
	for (int i = 0; i < 6; i++) {
		fake_account(acct, i);
		snprintf(ref, sizeof(ref), "ref-%d", i);
		must_register(&w, acct, ref, r, true);
		assert_string_equal(r->record.peer_role_arn, i < 3 ? ROLE1_ARN : ROLE2_ARN);
		assert_int_equal(trust_count(&w, i < 3 ? ROLE1 : ROLE2, acct), 1);
	}
	/* an account already granted may still register more */
	fake_account(acct, 1);
	must_register(&w, acct, "ref-1b", r, true);
	assert_string_equal(r->record.peer_role_arn, ROLE1_ARN);
	/* a new account: every role is full, refused before anything is allocated */
	fake_account(acct, 6);
	{
		struct vp_identity id = who(acct);
		struct vp_register_request req = reg_req("ref-6");
		assert_int_equal(vp_broker_register(w.broker, &id, &req, "req", r, &created, &err),
				 VP_ERR_EXHAUSTED);
		assert_non_null(strstr(err.message, "trust policies of all 2 peer roles are full"));
		assert_non_null(strstr(err.message, "ACLSizePerRole quota 340"));
	}
	assert_int_equal(live_count(&w), 7);
	/* a release frees a place in role 1, and the next account takes it */
	{
		struct vp_identity owner =
			who("500000000000"); /* the principal that registered 1 */
		assert_int_equal(vp_broker_release(w.broker, &owner, 1, NULL, "req", r, &err),
				 VP_OK);
	}
	assert_int_equal(trust_count(&w, ROLE1, "500000000000"), 0);
	must_register(&w, acct, "ref-6", r, true);
	assert_string_equal(r->record.peer_role_arn, ROLE1_ARN);
	free(r);
	world_free(&w);
}

struct racer {
	struct world *w;
	int index;
	int64_t n[8];
	int count;
	vp_code code;
	char message[VP_ERROR_MESSAGE_MAX];
};

#define RACERS        8
#define PER_RACER     5
#define RACE_ACCOUNTS 10

static void *race_register(void *arg)
{
	struct racer *rc = arg;
	struct vp_registration *r = calloc(1, sizeof(*r));

	for (int i = 0; i < PER_RACER && r; i++) {
		int k = rc->index * PER_RACER + i;
		char acct[13], ref[32];
		struct vp_identity id;
		struct vp_register_request req;
		struct vp_error err;
		bool created;

		fake_account(acct, k % RACE_ACCOUNTS);
		snprintf(ref, sizeof(ref), "race-%d", k);
		id = who(acct);
		req = reg_req(ref);
		rc->code = vp_broker_register(rc->w->broker, &id, &req, ref, r, &created, &err);
		if (rc->code != VP_OK) {
			memcpy(rc->message, err.message, sizeof(rc->message));
			break;
		}
		rc->n[rc->count++] = r->record.n;
	}
	free(r);
	return NULL;
}

static void *race_release(void *arg)
{
	struct racer *rc = arg;
	struct vp_registration *r = calloc(1, sizeof(*r));

	for (int i = 0; i < rc->count && r; i++) {
		struct vp_namespace_record rec;
		struct vp_identity id;
		struct vp_error err;
		assert_int_equal(vp_registry_get(rc->w->reg, rc->n[i], &rec, NULL), VP_OK);
		id = who(rec.account);
		rc->code = vp_broker_release(rc->w->broker, &id, rc->n[i], NULL, "rel", r, &err);
		if (rc->code != VP_OK) {
			memcpy(rc->message, err.message, sizeof(rc->message));
			break;
		}
	}
	free(r);
	return NULL;
}

static void test_concurrent_registrations(void **state)
{
	struct world w;
	struct racer racers[RACERS];
	pthread_t threads[RACERS];
	bool seen[RACERS * PER_RACER + 1] = {false};
	char acct[13], *before, *after;
	(void)state;

	world_init(&w);
	w.cfg.allow_any_account = true;
	w.cfg.max_peerings = 125;
	w.cfg.max_routes_per_table = 200;
	world_start(&w);
	before = trust_of(&w, ROLE1);
	for (int i = 0; i < RACERS; i++) {
		racers[i] = (struct racer){.w = &w, .index = i};
		assert_int_equal(pthread_create(&threads[i], NULL, race_register, &racers[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < RACERS; i++) {
		if (racers[i].code != VP_OK)
			fail_msg("racer %d: %s", i, racers[i].message);
		for (int k = 0; k < racers[i].count; k++) {
			int64_t n = racers[i].n[k];
			assert_true(n >= 1 && n <= RACERS * PER_RACER);
			assert_false(seen[n]);
			seen[n] = true;
		}
	}
	assert_int_equal(live_count(&w), RACERS * PER_RACER);
	for (int a = 0; a < RACE_ACCOUNTS; a++) {
		fake_account(acct, a);
		assert_int_equal(trust_count(&w, ROLE1, acct), 1);
		assert_int_equal(trust_count(&w, ROLE2, acct), 0);
	}

	/* all released at once: the trust policy is back as it was */
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, race_release, &racers[i]), 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < RACERS; i++)
		if (racers[i].code != VP_OK)
			fail_msg("release racer %d: %s", i, racers[i].message);
	assert_int_equal(live_count(&w), 0);
	after = trust_of(&w, ROLE1);
	assert_string_equal(after, before);
	free(before);
	free(after);
	world_free(&w);
}

static void test_revoke_only_when_unused(void **state)
{
	struct world w;
	struct vp_registration *r = registration();
	struct vp_account_record acct;
	struct vp_error err;
	(void)state;

	world_init(&w);
	world_start(&w);
	assert_int_equal(must_register(&w, B, "a", r, true), 1);
	assert_int_equal(must_register(&w, B, "b", r, true), 2);
	assert_int_equal(must_register(&w, C, "c", r, true), 3);
	assert_int_equal(trust_count(&w, ROLE1, B), 1);
	assert_int_equal(release(&w, B, 1, r, &err), VP_OK);
	assert_int_equal(trust_count(&w, ROLE1, B), 1);
	assert_int_equal(trust_count(&w, ROLE1, C), 1);
	assert_int_equal(release(&w, B, 2, r, &err), VP_OK);
	assert_int_equal(trust_count(&w, ROLE1, B), 0);
	assert_int_equal(trust_count(&w, ROLE1, C), 1);
	assert_int_equal(vp_registry_account_get(w.reg, B, &acct, &err), VP_OK);
	assert_false(acct.granted);
	assert_int_equal(vp_registry_account_get(w.reg, C, &acct, &err), VP_OK);
	assert_true(acct.granted);
	assert_string_equal(acct.peer_role_arn, ROLE1_ARN);
	/* B comes back: granted again, in the role its record names */
	must_register(&w, B, "d", r, true);
	assert_int_equal(trust_count(&w, ROLE1, B), 1);
	free(r);
	world_free(&w);
}

static void test_grant_failure_leaves_nothing(void **state)
{
	struct world w;
	struct vp_registration *r = registration();
	struct vp_identity b = who(B);
	struct vp_register_request req = reg_req("stack-f");
	struct vp_account_record acct;
	struct vp_error err;
	bool created;
	(void)state;

	world_init(&w);
	world_start(&w);
	/* more failures than the client's 3 attempts */
	vp_test_awsenv_post(
		&env, "/_awsenv/faults",
		"{\"rules\": [{\"action\": \"UpdateAssumeRolePolicy\", \"fault\": \"error\", "
		"\"count\": 5}]}");
	assert_int_equal(vp_broker_register(w.broker, &b, &req, "req-f", r, &created, &err),
			 VP_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "trust policy"));
	assert_int_equal(live_count(&w), 0);
	assert_int_equal(trust_count(&w, ROLE1, B), 0);
	assert_int_equal(trust_count(&w, ROLE2, B), 0);
	if (vp_registry_account_get(w.reg, B, &acct, &err) == VP_OK)
		assert_false(acct.granted);
	/* the client retries (CloudFormation does): works now */
	assert_int_equal(vp_test_awsenv_control(&env, "DELETE", "/_awsenv/faults", NULL, NULL, 0),
			 200);
	must_register(&w, B, "stack-f", r, true);
	assert_int_equal(trust_count(&w, ROLE1, B), 1);
	free(r);
	world_free(&w);
}

static void test_confirm_route_failure_takes_back(void **state)
{
	struct world w;
	struct vp_registration *r = registration();
	struct vp_namespace_record rec;
	struct vp_error err;
	char *second, *igw, *vpc, *pcx, *t;
	(void)state;

	world_init(&w);
	second = vp_test_aws_raw(w.hub, VP_AWS_EC2, "CreateRouteTable", "routeTableId", "VpcId",
				 w.hub_vpc, (char *)NULL);
	w.cfg.route_tables[0] = w.main_rtb;
	w.cfg.route_tables[1] = second;
	w.cfg.route_table_count = 2;
	world_start(&w);
	must_register(&w, B, "a", r, true);
	pcx = client_peering(&w, w.b, r->record.vpc_cidr, r->record.peer_role_arn, true, &vpc);
	/* someone routed the client's block elsewhere in the second table */
	igw = vp_test_aws_raw(w.hub, VP_AWS_EC2, "CreateInternetGateway", "internetGatewayId",
			      (char *)NULL);
	free(vp_test_aws_raw(w.hub, VP_AWS_EC2, "AttachInternetGateway", NULL, "InternetGatewayId",
			     igw, "VpcId", w.hub_vpc, (char *)NULL));
	free(vp_test_aws_raw(w.hub, VP_AWS_EC2, "CreateRoute", NULL, "RouteTableId", second,
			     "DestinationCidrBlock", "10.0.4.0/22", "GatewayId", igw,
			     (char *)NULL));
	assert_int_equal(confirm(&w, B, 1, pcx, vpc, r, &err), VP_ERR_CONFLICT);
	/* the first table's route was taken back; the foreign route is untouched */
	assert_no_route(&w, w.main_rtb, "10.0.4.0/22");
	t = route_in(&w, second, "10.0.4.0/22");
	assert_string_equal(t, igw);
	free(t);
	assert_int_equal(vp_registry_get(w.reg, 1, &rec, NULL), VP_OK);
	assert_int_equal(rec.state, VP_NS_PENDING);
	/* release never deletes a route the broker did not make */
	assert_int_equal(release(&w, B, 1, r, &err), VP_OK);
	t = route_in(&w, second, "10.0.4.0/22");
	assert_string_equal(t, igw);
	free(t);
	free(second), free(igw), free(vpc), free(pcx);
	free(r);
	world_free(&w);
}

static void test_start_up_checks(void **state)
{
	struct world w;
	struct vp_broker *broker = NULL;
	struct vp_error err;
	char *other_vpc, *other_rtb, *overlap_vpc;
	(void)state;

	world_init(&w);
	w.cfg.max_peerings = 126;
	assert_int_equal(vp_broker_new(&w.cfg, w.reg, w.hub, w.metrics, &broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "--max-peerings"));
	w.cfg.max_peerings = 50;

	w.cfg.peer_roles[1] = "no-such-role";
	assert_int_equal(vp_broker_new(&w.cfg, w.reg, w.hub, w.metrics, &broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "no-such-role"));
	w.cfg.peer_roles[1] = ROLE2;

	w.cfg.hub_vpc = "vpc-0123456789abcdef0";
	assert_int_equal(vp_broker_new(&w.cfg, w.reg, w.hub, w.metrics, &broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "not found"));

	/* a hub at n = 1's block overlaps a client namespace: refused, naming --reserve */
	overlap_vpc = vp_test_aws_raw(w.hub, VP_AWS_EC2, "CreateVpc", "vpcId", "CidrBlock",
				      "10.0.4.0/22", (char *)NULL);
	w.cfg.hub_vpc = overlap_vpc;
	assert_int_equal(vp_broker_new(&w.cfg, w.reg, w.hub, w.metrics, &broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "--reserve 10.0.4.0/22"));
	{
		struct vp_cidr res;
		assert_int_equal(vp_cidr_parse("10.0.4.0/22", 11, &res, NULL), VP_OK);
		assert_int_equal(vp_plan_reserve(&w.cfg.plan, res, NULL), VP_OK);
	}
	assert_int_equal(vp_broker_new(&w.cfg, w.reg, w.hub, w.metrics, &broker, &err), VP_OK);
	vp_broker_free(broker);
	broker = NULL;
	vp_plan_init(&w.cfg.plan);
	w.cfg.hub_vpc = w.hub_vpc;

	/* a route table of another VPC */
	other_vpc = vp_test_aws_raw(w.hub, VP_AWS_EC2, "CreateVpc", "vpcId", "CidrBlock",
				    "192.168.0.0/24", (char *)NULL);
	other_rtb = vp_test_aws_raw(w.hub, VP_AWS_EC2, "CreateRouteTable", "routeTableId", "VpcId",
				    other_vpc, (char *)NULL);
	w.cfg.route_tables[0] = other_rtb;
	w.cfg.route_table_count = 1;
	assert_int_equal(vp_broker_new(&w.cfg, w.reg, w.hub, w.metrics, &broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "not the hub VPC"));
	assert_null(broker);
	free(other_vpc), free(other_rtb), free(overlap_vpc);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_life_cycle),
		cmocka_unit_test(test_confirm_mismatches),
		cmocka_unit_test(test_quota_peerings),
		cmocka_unit_test(test_quota_routes),
		cmocka_unit_test(test_trust_pool_spills_then_exhausted),
		cmocka_unit_test(test_concurrent_registrations),
		cmocka_unit_test(test_revoke_only_when_unused),
		cmocka_unit_test(test_grant_failure_leaves_nothing),
		cmocka_unit_test(test_confirm_route_failure_takes_back),
		cmocka_unit_test(test_start_up_checks),
	};

	return vp_test_awsenv_main("test_broker", "broker", &env, tests,
				   sizeof(tests) / sizeof(tests[0]));
}
