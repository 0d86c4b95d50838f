/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The share's principals batched (issue 16; broker/tgw_share.c) against a
 * scripted AWS: concurrent registrations of new accounts make fewer
 * AssociateResourceShare calls than registrations, each account named once;
 * a failed batch fails each of its registrations with AWS's error and leaves
 * nothing allocated; one account RAM refuses does not fail the others; a
 * removal is made only when the account has no live namespace, and
 * concurrent removals share one DisassociateResourceShare.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/tgw.h"
#include "core/clock.h"
#include "fixture.h"

#define NS     " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""
#define TGW    "tgw-0a1b2c3d"
#define CRTB   "tgw-rtb-0c0c0c0c" /* the clients' table */
#define HRTB   "tgw-rtb-0d0d0d0d" /* the hub's table */
#define VRTB   "tgw-rtb-0a0a0a0a" /* the verify table (test_tgw_verify.c) */
#define SHARE  "arn:aws:ram:us-east-1:" FX_HUB ":resource-share/abc-123"
#define TGWARN "arn:aws:ec2:us-east-1:" FX_HUB ":transit-gateway/" TGW
#define ATT    "tgw-attach-0e0e0e0e"
#define HUBATT "tgw-attach-0f0f0f0f"
#define CLIENT "vpc-0c0c0c0c"

/* ---- answers ---- */

static void gateway(struct fx *f, const char *auto_accept)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<DescribeTransitGatewaysResponse" NS "><requestId>r</requestId>"
		 "<transitGatewaySet><item><options><autoAcceptSharedAttachments>%s"
		 "</autoAcceptSharedAttachments><defaultRouteTableAssociation>disable"
		 "</defaultRouteTableAssociation><defaultRouteTablePropagation>disable"
		 "</defaultRouteTablePropagation></options><ownerId>" FX_HUB "</ownerId>"
		 "<state>available</state><transitGatewayId>" TGW "</transitGatewayId></item>"
		 "</transitGatewaySet></DescribeTransitGatewaysResponse>",
		 auto_accept);
	fx_answer(f, body);
}

/* SearchTransitGatewayRoutes answering these <item> elements (may be ""). */
static void routes(struct fx *f, const char *items)
{
	char body[4096];

	snprintf(body, sizeof(body),
		 "<SearchTransitGatewayRoutesResponse" NS "><requestId>r</requestId><routeSet>%s"
		 "</routeSet><additionalRoutesAvailable>false</additionalRoutesAvailable>"
		 "</SearchTransitGatewayRoutesResponse>",
		 items);
	fx_answer(f, body);
}

static void route_item(char *out, size_t size, const char *cidr, const char *att, const char *state)
{
	snprintf(out, size,
		 "<item><destinationCidrBlock>%s</destinationCidrBlock><state>%s</state>"
		 "<type>static</type><transitGatewayAttachments><item><resourceId>" CLIENT
		 "</resourceId><resourceType>vpc</resourceType><transitGatewayAttachmentId>%s"
		 "</transitGatewayAttachmentId></item></transitGatewayAttachments></item>",
		 cidr, state, att);
}

/* DescribeTransitGatewayVpcAttachments: one attachment (NULL id: none). */
static void attachment(struct fx *f, const char *id, const char *tgw, const char *vpc,
		       const char *owner, const char *state)
{
	char body[2048];

	if (!id) {
		fx_answer(f, "<DescribeTransitGatewayVpcAttachmentsResponse" NS
			     "><requestId>r</requestId><transitGatewayVpcAttachments/>"
			     "</DescribeTransitGatewayVpcAttachmentsResponse>");
		return;
	}
	snprintf(body, sizeof(body),
		 "<DescribeTransitGatewayVpcAttachmentsResponse" NS "><requestId>r</requestId>"
		 "<transitGatewayVpcAttachments><item><state>%s</state><subnetIds>"
		 "<item>subnet-01010101</item></subnetIds><transitGatewayAttachmentId>%s"
		 "</transitGatewayAttachmentId><transitGatewayId>%s</transitGatewayId><vpcId>%s"
		 "</vpcId><vpcOwnerId>%s</vpcOwnerId></item></transitGatewayVpcAttachments>"
		 "</DescribeTransitGatewayVpcAttachmentsResponse>",
		 state, id, tgw, vpc, owner);
	fx_answer(f, body);
}

static void ram(struct fx *f, const char *path, const char *json)
{
	stub_on(f->stub, "POST", path, 1, 200, json);
}

static bool org_only; /* the next start's share: to the organization, no outsiders */

static void share(struct fx *f, bool holds)
{
	ram(f, "/getresourceshares",
	    org_only ? "{\"resourceShares\":[{\"allowExternalPrincipals\":false,\"name\":\"hub\","
		       "\"owningAccountId\":\"" FX_HUB "\",\"resourceShareArn\":\"" SHARE "\","
		       "\"status\":\"ACTIVE\"}]}"
		     : "{\"resourceShares\":[{\"allowExternalPrincipals\":true,\"name\":\"hub\","
		       "\"owningAccountId\":\"" FX_HUB "\",\"resourceShareArn\":\"" SHARE "\","
		       "\"status\":\"ACTIVE\"}]}");
	ram(f, "/getresourceshareassociations",
	    holds ? "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
		    "\"associatedEntity\":\"" TGWARN "\",\"associationType\":\"RESOURCE\","
		    "\"status\":\"ASSOCIATED\"}]}"
		  : "{\"resourceShareAssociations\":[]}");
	ram(f, "/getresourceshareassociations",
	    org_only ? "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
		       "\"associatedEntity\":\"arn:aws:organizations::" FX_HUB
		       ":organization/o-abc\",\"associationType\":\"PRINCIPAL\","
		       "\"status\":\"ASSOCIATED\"}]}"
		     : "{\"resourceShareAssociations\":[]}");
}

/* The requests to `path` (RAM's) recorded so far. */
static size_t count_path(struct fx *f, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < fx_count(f); i++)
		n += strcmp(stub_request_at(f->stub, i).path, path) == 0;
	return n;
}

/* ---- the world ---- */

#define ACCOUNTS 8
static char allowed[5][ACCOUNTS][16];

static void configure(struct fx *f)
{
	fx_init(f);
	f->cfg.peering_accepter = VP_PEERING_ACCEPTER_BROKER;
	f->cfg.peer_role_count = 0;
	f->cfg.peering_dns = VP_PEERING_DNS_OFF;
	f->cfg.accept_wait = 1;
	f->cfg.attach = VP_BROKER_ATTACH_TRANSIT_GATEWAY;
	f->cfg.tgw.transit_gateway = TGW;
	f->cfg.tgw.resource_share = SHARE;
	f->cfg.tgw.client_table = CRTB;
	f->cfg.tgw.hub_table = HRTB;
	f->cfg.tgw.verify_table = VRTB;
	/* the accounts of the tests below: 5X000000000I, X a test, I a caller */
	f->cfg.allow_account_count = 0;
	for (size_t x = 0; x < 5; x++)
		for (size_t i = 0; i < ACCOUNTS; i++) {
			snprintf(allowed[x][i], sizeof(allowed[x][i]), "5%zu00000000%02zu", x, i);
			f->cfg.allow_accounts[f->cfg.allow_account_count++] = allowed[x][i];
		}
}

/* vp_broker_new with the start-up calls answered; the gateway and the share as given. */
static vp_code start(struct fx *f, const char *auto_accept, bool holds, struct vp_error *err)
{
	char hub_route[512];

	fx_answer(f, "<DescribeVpcsResponse" NS "><requestId>r</requestId><vpcSet><item>"
		     "<vpcId>" FX_VPC "</vpcId><state>available</state><cidrBlock>" FX_HUB_CIDR
		     "</cidrBlock><ownerId>" FX_HUB "</ownerId></item></vpcSet>"
		     "</DescribeVpcsResponse>");
	fx_tables(f, "");
	fx_peerings(f, ""); /* the quota view */
	fx_tables(f, "");
	gateway(f, auto_accept);
	route_item(hub_route, sizeof(hub_route), FX_HUB_CIDR, HUBATT, "active");
	routes(f, hub_route);                   /* the clients' table: the hub's route */
	routes(f, "");                          /* the hub's table: no client yet */
	routes(f, "");                          /* the verify table */
	fx_answer(f, "<X><associations/></X>"); /* the verify table has no association */
	attachment(f, HUBATT, TGW, FX_VPC, FX_HUB, "available");
	fx_tables(f, ""); /* the hub VPC's tables: the pool's route missing in both */
	fx_ok(f, "CreateRoute");
	fx_ok(f, "CreateRoute");
	share(f, holds);
	return vp_broker_new(&f->cfg, f->reg, f->aws, NULL, &f->broker, err);
}

struct world {
	struct fx f;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct vp_error err;

	assert_non_null(w);
	configure(&w->f);
	if (start(&w->f, "disable", true, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(w->f.stub);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	fx_free(&w->f);
	free(w);
	return 0;
}

static vp_code do_register(struct fx *f, const char *account, const char *ref, const char *region,
			   struct vp_registration *out, struct vp_error *err)
{
	struct vp_identity id = fx_caller(account);
	struct vp_register_request req;
	bool created = false;

	memset(&req, 0, sizeof(req));
	snprintf(req.client_ref, sizeof(req.client_ref), "%s", ref);
	snprintf(req.region, sizeof(req.region), "%s", region);
	return vp_broker_register(f->broker, &id, &req, "rid-register", out, &created, err);
}

static int64_t live(struct fx *f)
{
	int64_t n = -1;
	struct vp_error err;

	assert_int_equal(vp_registry_count_live(f->reg, &n, &err), VP_OK);
	return n;
}

/* ---- concurrent requests ---- */

#define N ACCOUNTS

struct caller {
	struct fx *f;
	char account[16];
	char ref[32];
	int64_t n; /* release: the namespace */
	vp_code code;
	struct vp_error err;
	struct vp_registration reg;
};

static void *run_register(void *arg)
{
	struct caller *c = arg;

	c->code = do_register(c->f, c->account, c->ref, "", &c->reg, &c->err);
	return NULL;
}

static void *run_release(void *arg)
{
	struct caller *c = arg;
	struct vp_identity id = fx_caller(c->account);

	c->code = vp_broker_release(c->f->broker, &id, c->n, NULL, "rid-release", &c->reg, &c->err);
	return NULL;
}

/*
 * Another broker holds the share's lock: the first caller leads a batch of its own change
 * and waits for the lock; the others queue behind it. Returns once all n changes are queued
 * or taken, then lets the lock go and joins the threads.
 */
static void run_all(struct fx *f, struct caller *c, size_t n, void *(*fn)(void *))
{
	struct vp_broker_tgw *t = f->broker->tgw;
	struct vp_registry_lock *held = NULL;
	pthread_t threads[N + 1];
	struct vp_error err;

	assert_true(n <= N + 1);
	assert_int_equal(vp_registry_lock(f->reg, t->share_lock, 1000, &held, &err), VP_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, fn, &c[i]), 0);
	for (int64_t end = vp_clock_monotonic_ms() + 20000;;) {
		size_t k;
		bool leading;

		if (vp_clock_monotonic_ms() > end)
			fail_msg("the changes never queued (a caller failed before its change?)");

		pthread_mutex_lock(&t->share_mu);
		k = t->queued + t->in_batch;
		leading = t->leading;
		pthread_mutex_unlock(&t->share_mu);
		if (leading && k == n)
			break;
		vp_clock_sleep_ms(2); /* polling the queue, the event awaited */
	}
	vp_registry_unlock(held);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
}

static void callers(struct fx *f, struct caller *c, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].f = f;
		/* two digits: the callers of one test number under 100 (ACCOUNTS) */
		snprintf(c[i].account, sizeof(c[i].account), "%.10s%02u", prefix,
			 (unsigned)(i % 100));
		snprintf(c[i].ref, sizeof(c[i].ref), "stack-%zu", i);
	}
}

/* How many requests to `path` name `account` as a principal. */
static size_t named(struct fx *f, const char *path, const char *account)
{
	char quoted[32];
	size_t k = 0;

	snprintf(quoted, sizeof(quoted), "\"%s\"", account);
	for (size_t i = 0; i < fx_count(f); i++) {
		struct stub_request r = stub_request_at(f->stub, i);
		k += strcmp(r.path, path) == 0 && strstr(r.body, quoted) != NULL;
	}
	return k;
}

static size_t succeeded(const struct caller *c, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += c[i].code == VP_OK;
	return k;
}

/* N registrations of new accounts: two calls (the leader's own, then all the others). */
static void test_concurrent_registrations_batched(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct caller c[N];

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", -1, 200,
		"{\"resourceShareAssociations\":[]}");
	callers(f, c, N, "5000000000");
	run_all(f, c, N, run_register);
	for (size_t i = 0; i < N; i++) {
		if (c[i].code != VP_OK)
			fail_msg("register %s: %s", c[i].account, c[i].err.message);
		assert_int_equal(named(f, "/associateresourceshare", c[i].account), 1);
	}
	assert_int_equal(count_path(f, "/associateresourceshare"), 2);
	assert_int_equal(fx_count(f), 2);
	assert_int_equal(f->broker->tgw->principals, N);
	assert_int_equal(live(f), N);
}

/* The batch's call fails (RAM unavailable): each of its registrations fails with AWS's
 * error, and its namespace is taken back. */
static void test_failed_batch_fails_each(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct caller c[N];

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 200,
		"{\"resourceShareAssociations\":[]}");
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 503,
		"{\"__type\":\"ServiceUnavailableException\",\"message\":\"RAM is down\"}");
	callers(f, c, N, "5100000000");
	run_all(f, c, N, run_register);
	assert_int_equal(succeeded(c, N), 1);
	for (size_t i = 0; i < N; i++)
		if (c[i].code != VP_OK)
			assert_non_null(strstr(c[i].err.message, "RAM is down"));
	assert_int_equal(count_path(f, "/associateresourceshare"), 2);
	assert_int_equal(live(f), 1); /* nothing half-recorded */
	assert_int_equal(f->broker->tgw->principals, 1);
}

/* RAM refuses the batch for one account (an outsider): each account alone, so only that
 * registration fails. */
static void test_one_refused_account_fails_alone(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct caller c[N];
	const char *refused = "{\"__type\":\"OperationNotPermittedException\",\"message\":"
			      "\"account outside the organization\"}";

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 200,
		"{\"resourceShareAssociations\":[]}");
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 400, refused); /* the batch */
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 400, refused); /* one alone */
	stub_on(f->stub, "POST", "/associateresourceshare", -1, 200,
		"{\"resourceShareAssociations\":[]}");
	callers(f, c, N, "5200000000");
	run_all(f, c, N, run_register);
	assert_int_equal(succeeded(c, N), N - 1);
	for (size_t i = 0; i < N; i++)
		if (c[i].code != VP_OK)
			assert_non_null(strstr(c[i].err.message, "outside the organization"));
	/* the leader's own, the batch, then each of the batch's N - 1 alone */
	assert_int_equal(count_path(f, "/associateresourceshare"), 2 + (N - 1));
	assert_int_equal(live(f), N - 1);
}

/* RAM says the share is full: the registration is refused naming the quota, nothing kept. */
static void test_full_share_refused(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct caller c[1];

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 400,
		"{\"__type\":\"ResourceShareLimitExceededException\",\"message\":\"too many "
		"principals\"}");
	callers(f, c, 1, "5400000000");
	run_register(&c[0]);
	assert_int_equal(c[0].code, VP_ERR_EXHAUSTED);
	assert_non_null(strstr(c[0].err.message, "is full"));
	assert_non_null(strstr(c[0].err.message, "Service Quotas"));
	assert_int_equal(count_path(f, "/associateresourceshare"), 1);
	assert_int_equal(live(f), 0);
	assert_int_equal(f->broker->tgw->principals, 0);
}

/* Concurrent releases: one DisassociateResourceShare for the accounts with no live namespace
 * left; the account with another live namespace keeps its principal. */
static void test_concurrent_removals_batched(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct caller c[N + 1];
	struct vp_registration other;
	struct vp_error err;
	char body[512];

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", -1, 200,
		"{\"resourceShareAssociations\":[]}");
	callers(f, c, N, "5300000000");
	for (size_t i = 0; i < N; i++) {
		if (do_register(f, c[i].account, c[i].ref, "", &c[i].reg, &c[i].err) != VP_OK)
			fail_msg("register: %s", c[i].err.message);
		c[i].n = c[i].reg.record.n;
	}
	if (do_register(f, c[0].account, "stack-other", "", &other, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_int_equal(f->broker->tgw->principals, N);
	stub_reset(f->stub);
	snprintf(body, sizeof(body),
		 "<SearchTransitGatewayRoutesResponse" NS "><requestId>r</requestId><routeSet>"
		 "</routeSet><additionalRoutesAvailable>false</additionalRoutesAvailable>"
		 "</SearchTransitGatewayRoutesResponse>");
	stub_on(f->stub, "POST", "/", -1, 200, body);
	stub_on(f->stub, "POST", "/disassociateresourceshare", -1, 200,
		"{\"resourceShareAssociations\":[]}");
	run_all(f, c, N, run_release);
	for (size_t i = 0; i < N; i++)
		if (c[i].code != VP_OK)
			fail_msg("release %s: %s", c[i].account, c[i].err.message);
	assert_int_equal(named(f, "/disassociateresourceshare", c[0].account), 0);
	for (size_t i = 1; i < N; i++)
		assert_int_equal(named(f, "/disassociateresourceshare", c[i].account), 1);
	/* at most the leader's own and one batch (the leader's may be account 0's: none) */
	assert_true(count_path(f, "/disassociateresourceshare") <= 2);
	assert_int_equal(f->broker->tgw->principals, 1);
	assert_int_equal(live(f), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_registrations_batched, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_batch_fails_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_refused_account_fails_alone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_share_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_removals_batched, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
