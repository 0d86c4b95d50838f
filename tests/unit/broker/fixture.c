/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's unit-test world (fixture.h): a broker against the scripted
 * loopback stub and a temporary SQLite registry.
 */
#include "fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "static_client.h"

#define XMLNS_EC2 " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""
#define XMLNS_IAM " xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\""

int64_t fx_now;

static int64_t fx_clock(void *ctx)
{
	(void)ctx;
	return fx_now ? fx_now : (int64_t)time(NULL);
}

void fx_init(struct fx *f)
{
	struct vp_aws_client_config acfg = {
		.region = "us-east-1",
		.config_file = "/nonexistent",
		.credentials_file = "/nonexistent",
		.max_attempts = 1,
		.retry_base_delay = 0.001,
		.connect_timeout_ms = 2000,
		.timeout_ms = 5000,
	};
	struct vp_registry_options opts;
	char url[128];
	struct vp_error err;

	memset(f, 0, sizeof(*f));
	assert_non_null(f->stub = stub_start());
	acfg.endpoint_url = stub_url(f->stub);
	f->aws = vp_test_static_client(acfg, "AKIDTEST", "secret", NULL);

	snprintf(f->dir, sizeof(f->dir), "/tmp/vpcpeer-unit-broker-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(url, sizeof(url), "sqlite:%s/registry.db", f->dir);
	vp_registry_options_init(&opts);
	fx_now = 0;
	opts.clock = fx_clock;
	if (vp_registry_open(url, &opts, &f->reg, &err) != VP_OK)
		fail_msg("registry: %s", err.message);

	vp_broker_config_init(&f->cfg);
	f->cfg.hub_account = FX_HUB;
	f->cfg.hub_vpc = FX_VPC;
	f->cfg.hub_region = "us-east-1";
	f->cfg.peering_accepter =
		VP_PEERING_ACCEPTER_PEER_ROLE; /* the tests script the IAM calls */
	f->cfg.peer_roles[0] = FX_ROLE_A;
	f->cfg.peer_roles[1] = FX_ROLE_B;
	f->cfg.peer_role_count = 2;
	f->cfg.route_tables[0] = FX_RTB1;
	f->cfg.route_tables[1] = FX_RTB2;
	f->cfg.route_table_count = 2;
	f->cfg.allow_accounts[0] = FX_B;
	f->cfg.allow_accounts[1] = FX_C;
	f->cfg.allow_account_count = 2;
	f->cfg.grant_settle_ms = 0;
	f->cfg.quota_refresh = 86400; /* the quota view: loaded at start, never again by age */
}

void fx_start(struct fx *f)
{
	fx_start_hub(f, "", "");
}

void fx_start_hub(struct fx *f, const char *peerings, const char *routes)
{
	struct vp_error err;

	fx_answer(f, "<DescribeVpcsResponse" XMLNS_EC2 "><requestId>r</requestId><vpcSet><item>"
		     "<vpcId>" FX_VPC "</vpcId><state>available</state><cidrBlock>" FX_HUB_CIDR
		     "</cidrBlock><ownerId>" FX_HUB "</ownerId><isDefault>false</isDefault>"
		     "</item></vpcSet></DescribeVpcsResponse>");
	fx_tables(f, "");
	fx_peerings(f, peerings); /* the quota view's first load */
	fx_tables(f, routes);
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_get_role(f, FX_ROLE_B, FX_HUB_TRUST);
	if (vp_broker_new(&f->cfg, f->reg, f->aws, NULL, &f->broker, &err) != VP_OK)
		fail_msg("broker: %s", err.message);
	assert_int_equal(fx_count(f), 6);
	stub_reset(f->stub);
}

void fx_free(struct fx *f)
{
	char path[128];

	vp_broker_free(f->broker);
	vp_registry_close(f->reg);
	vp_aws_client_free(f->aws);
	stub_stop(f->stub);
	snprintf(path, sizeof(path), "%s/registry.db", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/registry.db-wal", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/registry.db-shm", f->dir);
	unlink(path);
	rmdir(f->dir);
}

int fx_setup(void **state)
{
	static struct fx f;

	fx_init(&f);
	fx_start(&f);
	*state = &f;
	return 0;
}

int fx_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* ---- answers ---- */

void fx_answer(struct fx *f, const char *body)
{
	stub_on(f->stub, "POST", "/", 1, 200, body);
}

void fx_error(struct fx *f, int status, const char *code, const char *message)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors>"
		 "<RequestID>r</RequestID></Response>",
		 code, message);
	stub_on(f->stub, "POST", "/", 1, status, body);
}

void fx_get_role(struct fx *f, const char *name, const char *document)
{
	char body[8192];

	snprintf(body, sizeof(body),
		 "<GetRoleResponse" XMLNS_IAM "><GetRoleResult><Role><Path>/</Path>"
		 "<RoleName>%s</RoleName><RoleId>AROATEST</RoleId>"
		 "<Arn>arn:aws:iam::" FX_HUB ":role/%s</Arn>"
		 "<CreateDate>2026-01-01T00:00:00Z</CreateDate>"
		 "<AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument></Role></GetRoleResult>"
		 "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetRoleResponse>",
		 name, name, document);
	fx_answer(f, body);
}

void fx_ok(struct fx *f, const char *action)
{
	char body[512];

	if (strcmp(action, "UpdateAssumeRolePolicy") == 0)
		snprintf(body, sizeof(body),
			 "<%sResponse" XMLNS_IAM "><ResponseMetadata><RequestId>r</RequestId>"
			 "</ResponseMetadata></%sResponse>",
			 action, action);
	else
		snprintf(body, sizeof(body),
			 "<%sResponse" XMLNS_EC2 "><requestId>r</requestId><return>true</return>"
			 "</%sResponse>",
			 action, action);
	fx_answer(f, body);
}

void fx_tables(struct fx *f, const char *routes)
{
	static const char *const ids[] = {FX_RTB1, FX_RTB2};
	char body[8192];
	size_t len;

	len = (size_t)snprintf(body, sizeof(body),
			       "<DescribeRouteTablesResponse" XMLNS_EC2
			       "><requestId>r</requestId><routeTableSet>");
	for (size_t i = 0; i < 2; i++)
		len += (size_t)snprintf(
			body + len, sizeof(body) - len,
			"<item><routeTableId>%s</routeTableId><vpcId>" FX_VPC "</vpcId>"
			"<ownerId>" FX_HUB
			"</ownerId><routeSet><item><destinationCidrBlock>" FX_HUB_CIDR
			"</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state>"
			"<origin>CreateRouteTable</origin></item>%s</routeSet></item>",
			ids[i], routes);
	assert_true(len < sizeof(body) - 64);
	snprintf(body + len, sizeof(body) - len, "</routeTableSet></DescribeRouteTablesResponse>");
	fx_answer(f, body);
}

void fx_peering(struct fx *f, const char *pcx, const char *owner, const char *vpc, const char *cidr,
		const char *status)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<DescribeVpcPeeringConnectionsResponse" XMLNS_EC2 "><requestId>r</requestId>"
		 "<vpcPeeringConnectionSet><item><vpcPeeringConnectionId>%s"
		 "</vpcPeeringConnectionId><requesterVpcInfo><ownerId>%s</ownerId><vpcId>%s"
		 "</vpcId><cidrBlock>%s</cidrBlock><region>us-east-1</region></requesterVpcInfo>"
		 "<accepterVpcInfo><ownerId>" FX_HUB "</ownerId><vpcId>" FX_VPC "</vpcId>"
		 "<cidrBlock>" FX_HUB_CIDR "</cidrBlock><region>us-east-1</region>"
		 "</accepterVpcInfo><status><code>%s</code><message>-</message></status></item>"
		 "</vpcPeeringConnectionSet></DescribeVpcPeeringConnectionsResponse>",
		 pcx, owner, vpc, cidr, status);
	fx_answer(f, body);
}

void fx_peerings(struct fx *f, const char *items)
{
	char body[8192];

	assert_true(strlen(items) < sizeof(body) - 256);
	snprintf(body, sizeof(body),
		 "<DescribeVpcPeeringConnectionsResponse" XMLNS_EC2 "><requestId>r</requestId>"
		 "<vpcPeeringConnectionSet>%s</vpcPeeringConnectionSet>"
		 "</DescribeVpcPeeringConnectionsResponse>",
		 items);
	fx_answer(f, body);
}

/* ---- requests ---- */

size_t fx_count(struct fx *f)
{
	return stub_request_count(f->stub);
}

bool fx_has(struct fx *f, size_t i, const char *text)
{
	struct stub_request r = stub_request_at(f->stub, i);
	return strstr(r.body, text) != NULL;
}

void fx_form_cidr(const char *cidr, char *out, size_t size)
{
	const char *slash = strchr(cidr, '/');

	assert_non_null(slash);
	snprintf(out, size, "DestinationCidrBlock=%.*s%%2F%s", (int)(slash - cidr), cidr,
		 slash + 1);
}

void fx_expect(struct fx *f, size_t i, const char *action, ...)
{
	struct stub_request r;
	char want[128];
	const char *s;
	va_list ap;

	if (i >= fx_count(f))
		fail_msg("request %zu (%s) was not made: %zu request(s)", i, action, fx_count(f));
	r = stub_request_at(f->stub, i);
	snprintf(want, sizeof(want), "Action=%s&", action);
	if (!strstr(r.body, want))
		fail_msg("request %zu is not %s: %s", i, action, r.body);
	va_start(ap, action);
	while ((s = va_arg(ap, const char *)))
		if (!strstr(r.body, s)) {
			va_end(ap);
			fail_msg("request %zu (%s) has no '%s': %s", i, action, s, r.body);
		}
	va_end(ap);
}

/* ---- workflows ---- */

struct vp_identity fx_caller(const char *account)
{
	struct vp_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.account, sizeof(id.account), "%s", account);
	snprintf(id.arn, sizeof(id.arn), "arn:aws:iam::%s:user/client", account);
	snprintf(id.user_id, sizeof(id.user_id), "AIDATEST");
	return id;
}

void fx_register(struct fx *f, const char *account, const char *ref, bool grant,
		 struct vp_registration *out)
{
	struct vp_identity id = fx_caller(account);
	struct vp_register_request req;
	struct vp_error err;
	bool created = false;

	memset(&req, 0, sizeof(req));
	snprintf(req.client_ref, sizeof(req.client_ref), "%s", ref);
	if (grant) {
		fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
		fx_ok(f, "UpdateAssumeRolePolicy");
	}
	if (vp_broker_register(f->broker, &id, &req, "rid-register", out, &created, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_true(created);
	/* No Describe: the quota view has the hub. A grant is one UpdateAssumeRolePolicy, after a
	 * GetRole unless the broker knows the role's document (grants.c, "known document"). */
	if (grant) {
		assert_in_range(fx_count(f), 1, 2);
		fx_expect(f, fx_count(f) - 1, "UpdateAssumeRolePolicy", NULL);
	} else {
		assert_int_equal(fx_count(f), 0);
	}
	stub_reset(f->stub);
}

void fx_confirm(struct fx *f, const struct vp_registration *reg, const char *pcx, const char *vpc)
{
	struct vp_identity id = fx_caller(reg->record.account);
	struct vp_confirm_request req;
	struct vp_registration out;
	struct vp_error err;

	memset(&req, 0, sizeof(req));
	snprintf(req.peering_id, sizeof(req.peering_id), "%s", pcx);
	snprintf(req.vpc_id, sizeof(req.vpc_id), "%s", vpc);
	fx_peering(f, pcx, reg->record.account, vpc, reg->record.vpc_cidr, "active");
	fx_ok(f, "CreateTags");
	fx_ok(f, "CreateRoute");
	fx_ok(f, "CreateRoute");
	if (vp_broker_confirm(f->broker, &id, reg->record.n, &req, "rid-confirm", &out, &err) !=
	    VP_OK)
		fail_msg("confirm: %s", err.message);
	assert_int_equal(fx_count(f), 4);
	stub_reset(f->stub);
}

struct vp_namespace_record fx_record(struct fx *f, int64_t n)
{
	struct vp_namespace_record rec;
	struct vp_error err;

	if (vp_registry_get(f->reg, n, &rec, &err) != VP_OK)
		fail_msg("namespace %lld: %s", (long long)n, err.message);
	return rec;
}

static void fx_propagation(struct fx *f, const char *action, const char *att, const char *state)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "<%sResponse" XMLNS_EC2 "><requestId>r</requestId><propagation>"
		 "<transitGatewayAttachmentId>%s</transitGatewayAttachmentId><state>%s</state>"
		 "</propagation></%sResponse>",
		 action, att, state, action);
	fx_answer(f, body);
}

void fx_tgw_verified(struct fx *f, const char *att, const char *cidrs)
{
	char body[4096], copy[512], *save = NULL;
	size_t used;

	used = (size_t)snprintf(body, sizeof(body),
				"<SearchTransitGatewayRoutesResponse" XMLNS_EC2
				"><requestId>r</requestId><routeSet>");
	snprintf(copy, sizeof(copy), "%s", cidrs);
	for (char *c = strtok_r(copy, " ", &save); c; c = strtok_r(NULL, " ", &save))
		used += (size_t)snprintf(
			body + used, sizeof(body) - used,
			"<item><destinationCidrBlock>%s</destinationCidrBlock><state>active</state>"
			"<type>propagated</type><transitGatewayAttachments><item><resourceId>vpc-1"
			"</resourceId><transitGatewayAttachmentId>%s</transitGatewayAttachmentId>"
			"</item></transitGatewayAttachments></item>",
			c, att);
	snprintf(body + used, sizeof(body) - used,
		 "</routeSet><additionalRoutesAvailable>false</additionalRoutesAvailable>"
		 "</SearchTransitGatewayRoutesResponse>");
	fx_propagation(f, "EnableTransitGatewayRouteTablePropagation", att, "enabling");
	fx_answer(f, body);
	fx_answer(f, body);
	fx_propagation(f, "DisableTransitGatewayRouteTablePropagation", att, "disabling");
}
