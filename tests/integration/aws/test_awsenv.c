/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS client against awsenv (moto behind a strict proxy that verifies
 * every signature with botocore): every call, and the error paths —
 * throttling then success, 500 then success, retries exhausted, wrong
 * secret, unknown role, unknown peering id, quota errors. Backoff bases are
 * a few milliseconds so the retries stay quick.
 */
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
#include "aws/chain.h"
#include "aws/ec2.h"
#include "aws/iam.h"
#include "aws/sts.h"

#define HUB        "111111111111"
#define HUB_KEY    "AKIAHUB1111111111111"
#define HUB_SECRET "hubSecret0000000000000000000000000000000"
#define B          "222222222222"
#define B_KEY      "AKIACLIENTB222222222"
#define B_SECRET   "clientBSecret000000000000000000000000000"

static struct vp_test_awsenv env;

static struct vp_aws_client *client_for(const char *key, const char *secret, const char *token)
{
	return vp_test_aws_client(&env, key, secret, token, 0.005);
}

static int reset(void **state)
{
	(void)state;
	return vp_test_awsenv_reset(&env);
}

static void test_get_caller_identity(void **state)
{
	struct vp_aws_client *c = client_for(B_KEY, B_SECRET, NULL);
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_error err;
	(void)state;

	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_OK);
	assert_string_equal(id->account, B);
	assert_string_equal(id->arn, "arn:aws:iam::" B ":user/client-b");
	assert_int_equal(strncmp(id->user_id, "AIDA", 4), 0);
	vp_aws_caller_identity_free(id);
	vp_aws_client_free(c);
}

static void test_wrong_secret_and_unknown_key(void **state)
{
	struct vp_aws_client *c =
		client_for(B_KEY, "wrongSecret00000000000000000000000000000", NULL);
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_ec2_vpc_list *vpcs = NULL;
	struct vp_aws_error err;
	(void)state;

	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_ERR_AUTH);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	assert_int_equal(err.http_status, 403);
	assert_int_equal(err.attempts, 1);
	assert_false(err.retryable);
	assert_null(strstr(err.error.message, "wrongSecret"));
	assert_int_equal(vp_aws_ec2_describe_vpcs(c, NULL, &vpcs, &err), VP_ERR_AUTH);
	vp_aws_client_free(c);
	c = client_for("AKIANOBODY0000000000", B_SECRET, NULL);
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_ERR_AUTH);
	assert_string_equal(err.code, "InvalidClientTokenId");
	vp_aws_client_free(c);
}

static const char trust_b[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
	"\"arn:aws:iam::" B ":root\"},\"Action\":\"sts:AssumeRole\"}]}";

static void test_iam_roles_and_assume_role(void **state)
{
	struct vp_aws_client *hub = client_for(HUB_KEY, HUB_SECRET, NULL);
	struct vp_aws_client *b = client_for(B_KEY, B_SECRET, NULL), *assumed;
	struct vp_aws_assume_role_input in = {.role_arn = "arn:aws:iam::" HUB ":role/peer",
					      .session_name = "vpcpeer-test"};
	struct vp_aws_assumed_role *r = NULL;
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_iam_role *role = NULL;
	struct vp_aws_error err;
	char big[4096];
	(void)state;

	free(vp_test_aws_raw(hub, VP_AWS_IAM, "CreateRole", "Arn", "RoleName", "peer",
			     "AssumeRolePolicyDocument", trust_b, (char *)NULL));
	assert_int_equal(vp_aws_iam_get_role(hub, "peer", &role, &err), VP_OK);
	assert_string_equal(role->arn, "arn:aws:iam::" HUB ":role/peer");
	assert_non_null(strstr(role->assume_role_policy_document, "arn:aws:iam::" B ":root"));
	vp_aws_iam_role_free(role);

	/* client-b may assume it; the temporary keys (with a signed session token) work */
	assert_int_equal(vp_aws_sts_assume_role(b, &in, &r, &err), VP_OK);
	assert_non_null(r->credentials.session_token);
	assert_true(r->credentials.expiration > 0);
	assumed = client_for(r->credentials.access_key_id, r->credentials.secret_access_key,
			     r->credentials.session_token);
	assert_int_equal(vp_aws_sts_get_caller_identity(assumed, &id, &err), VP_OK);
	assert_string_equal(id->account, HUB);
	assert_string_equal(id->arn, "arn:aws:sts::" HUB ":assumed-role/peer/vpcpeer-test");
	vp_aws_caller_identity_free(id);
	vp_aws_client_free(assumed);
	vp_aws_assumed_role_free(r);

	/* the hub removes client-b: AssumeRole is refused */
	assert_int_equal(vp_aws_iam_update_assume_role_policy(
				 hub, "peer",
				 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
				 "\"Principal\":{\"AWS\":\"arn:aws:iam::333333333333:root\"},"
				 "\"Action\":\"sts:AssumeRole\"}]}",
				 &err),
			 VP_OK);
	assert_int_equal(vp_aws_iam_get_role(hub, "peer", &role, &err), VP_OK);
	assert_non_null(strstr(role->assume_role_policy_document, "333333333333"));
	vp_aws_iam_role_free(role);
	assert_int_equal(vp_aws_sts_assume_role(b, &in, &r, &err), VP_ERR_FORBIDDEN);
	assert_string_equal(err.code, "AccessDenied");

	/* unknown role */
	assert_int_equal(vp_aws_iam_get_role(hub, "nope", &role, &err), VP_ERR_NOT_FOUND);
	assert_string_equal(err.code, "NoSuchEntity");
	assert_int_equal(err.http_status, 404);
	in.role_arn = "arn:aws:iam::" HUB ":role/nope";
	assert_int_equal(vp_aws_sts_assume_role(b, &in, &r, &err), VP_ERR_FORBIDDEN);
	assert_int_equal(vp_aws_iam_update_assume_role_policy(hub, "nope", trust_b, &err),
			 VP_ERR_NOT_FOUND);

	/* the trust-policy quota (2048 characters) and a malformed document */
	snprintf(big, sizeof(big),
		 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
		 "{\"AWS\":\"arn:aws:iam::" B
		 ":root\"},\"Action\":\"sts:AssumeRole\",\"Sid\":\"%0*d\"}]}",
		 2100, 0);
	assert_int_equal(vp_aws_iam_update_assume_role_policy(hub, "peer", big, &err),
			 VP_ERR_EXHAUSTED);
	assert_string_equal(err.code, "LimitExceeded");
	assert_false(err.retryable);
	assert_int_equal(vp_aws_iam_update_assume_role_policy(hub, "peer", "{not json", &err),
			 VP_ERR_INVALID);
	assert_string_equal(err.code, "MalformedPolicyDocument");
	vp_aws_client_free(hub);
	vp_aws_client_free(b);
}

static void test_assume_role_through_a_profile(void **state)
{
	char dir[] = "/tmp/vp-awsenv-XXXXXX", cfgp[64], credp[64];
	struct vp_aws_client_config cfg = {.profile = "peer", .retry_base_delay = 0.005};
	struct vp_aws_client *hub = client_for(HUB_KEY, HUB_SECRET, NULL), *c = NULL;
	struct vp_aws_caller_identity *id = NULL;
	struct vp_error err;
	FILE *f;
	(void)state;

	free(vp_test_aws_raw(hub, VP_AWS_IAM, "CreateRole", "Arn", "RoleName", "peer",
			     "AssumeRolePolicyDocument", trust_b, (char *)NULL));
	assert_non_null(mkdtemp(dir));
	snprintf(cfgp, sizeof(cfgp), "%s/config", dir);
	snprintf(credp, sizeof(credp), "%s/credentials", dir);
	f = fopen(cfgp, "w");
	fprintf(f,
		"[profile peer]\nrole_arn = arn:aws:iam::" HUB ":role/peer\nsource_profile = b\n"
		"role_session_name = from-profile\nregion = eu-west-1\nendpoint_url = %s\n",
		env.url);
	fclose(f);
	f = fopen(credp, "w");
	fprintf(f, "[b]\naws_access_key_id = " B_KEY "\naws_secret_access_key = " B_SECRET "\n");
	fclose(f);
	cfg.config_file = cfgp;
	cfg.credentials_file = credp;
	if (vp_aws_client_new_default(&cfg, &c, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_string_equal(vp_aws_client_region(c), "eu-west-1");
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, NULL), VP_OK);
	assert_string_equal(id->arn, "arn:aws:sts::" HUB ":assumed-role/peer/from-profile");
	assert_string_equal(vp_aws_credentials_provider_source(vp_aws_client_credentials(c)),
			    "assume-role");
	vp_aws_caller_identity_free(id);
	vp_aws_client_free(c);
	vp_aws_client_free(hub);
	unlink(cfgp);
	unlink(credp);
	rmdir(dir);
}

static void test_ec2_peering_and_routes(void **state)
{
	struct vp_aws_client *hub = client_for(HUB_KEY, HUB_SECRET, NULL);
	struct vp_aws_client *b = client_for(B_KEY, B_SECRET, NULL);
	struct vp_aws_ec2_vpc_list *vpcs = NULL;
	struct vp_aws_ec2_peering_list *pl = NULL;
	struct vp_aws_ec2_route_table_list *tables = NULL;
	struct vp_aws_ec2_peering *accepted = NULL;
	struct vp_aws_error err;
	char *hub_vpc, *b_vpc, *pcx, *rtb = NULL;
	(void)state;

	hub_vpc = vp_test_aws_raw(hub, VP_AWS_EC2, "CreateVpc", "vpcId", "CidrBlock", "10.0.0.0/22",
				  (char *)NULL);
	b_vpc = vp_test_aws_raw(b, VP_AWS_EC2, "CreateVpc", "vpcId", "CidrBlock", "10.0.4.0/22",
				(char *)NULL);

	{
		const char *ids[] = {hub_vpc};
		const char *cidr[] = {"10.0.0.0/22"};
		struct vp_aws_ec2_filter f = {"cidr", cidr, 1};
		struct vp_aws_ec2_query by_id = {.ids = ids, .id_count = 1};
		struct vp_aws_ec2_query by_filter = {.filters = &f, .filter_count = 1};
		assert_int_equal(vp_aws_ec2_describe_vpcs(hub, &by_id, &vpcs, &err), VP_OK);
		assert_int_equal(vpcs->count, 1);
		assert_string_equal(vpcs->items[0].cidr_block, "10.0.0.0/22");
		assert_string_equal(vpcs->items[0].owner_id, HUB);
		vp_aws_ec2_vpc_list_free(vpcs);
		assert_int_equal(vp_aws_ec2_describe_vpcs(hub, &by_filter, &vpcs, &err), VP_OK);
		assert_int_equal(vpcs->count, 1);
		assert_string_equal(vpcs->items[0].vpc_id, hub_vpc);
		vp_aws_ec2_vpc_list_free(vpcs);
	}

	/* client-b asks to peer with the hub; the hub sees it pending, accepts it */
	pcx = vp_test_aws_raw(b, VP_AWS_EC2, "CreateVpcPeeringConnection", "vpcPeeringConnectionId",
			      "VpcId", b_vpc, "PeerVpcId", hub_vpc, "PeerOwnerId", HUB,
			      "PeerRegion", "us-east-1", (char *)NULL);
	{
		const char *ids[] = {pcx};
		const char *pending[] = {"pending-acceptance"};
		struct vp_aws_ec2_filter f = {"status-code", pending, 1};
		struct vp_aws_ec2_query by_id = {.ids = ids, .id_count = 1};
		struct vp_aws_ec2_query by_status = {.filters = &f, .filter_count = 1};
		assert_int_equal(
			vp_aws_ec2_describe_vpc_peering_connections(hub, &by_id, &pl, &err), VP_OK);
		assert_int_equal(pl->count, 1);
		assert_string_equal(pl->items[0].status_code, "pending-acceptance");
		assert_string_equal(pl->items[0].requester.owner_id, B);
		assert_string_equal(pl->items[0].requester.vpc_id, b_vpc);
		/* EC2 API reference: CIDR blocks are only returned for an active peering */
		assert_null(pl->items[0].requester.cidr_block);
		assert_int_equal(pl->items[0].requester.cidr_block_count, 0);
		assert_string_equal(pl->items[0].accepter.vpc_id, hub_vpc);
		vp_aws_ec2_peering_list_free(pl);
		assert_int_equal(
			vp_aws_ec2_describe_vpc_peering_connections(hub, &by_status, &pl, &err),
			VP_OK);
		assert_int_equal(pl->count, 1);
		vp_aws_ec2_peering_list_free(pl);
		assert_int_equal(
			vp_aws_ec2_accept_vpc_peering_connection(hub, pcx, &accepted, &err), VP_OK);
		assert_string_equal(accepted->vpc_peering_connection_id, pcx);
		vp_aws_ec2_peering_free(accepted);
		/* accepted, it is provisioning before active (awsenv counts describes: no wait) */
		for (int i = 0; i < 10; i++) {
			assert_int_equal(
				vp_aws_ec2_describe_vpc_peering_connections(hub, &by_id, &pl, &err),
				VP_OK);
			if (strcmp(pl->items[0].status_code, "active") == 0)
				break;
			assert_string_equal(pl->items[0].status_code, "provisioning");
			vp_aws_ec2_peering_list_free(pl);
		}
		assert_string_equal(pl->items[0].status_code, "active");
		/* an active peering carries the requester's block set */
		assert_int_equal(pl->items[0].requester.cidr_block_count, 1);
		assert_string_equal(pl->items[0].requester.cidr_blocks[0], "10.0.4.0/22");
		vp_aws_ec2_peering_list_free(pl);
	}

	/* routes in the hub's main route table */
	{
		const char *vpc[] = {hub_vpc};
		struct vp_aws_ec2_filter f = {"vpc-id", vpc, 1};
		struct vp_aws_ec2_query q = {.filters = &f, .filter_count = 1};
		struct vp_aws_ec2_route_target to_pcx = {.vpc_peering_connection_id = pcx};
		const struct vp_aws_ec2_route *found = NULL;
		assert_int_equal(vp_aws_ec2_describe_route_tables(hub, &q, &tables, &err), VP_OK);
		assert_true(tables->count >= 1);
		rtb = strdup(tables->items[0].route_table_id);
		vp_aws_ec2_route_table_list_free(tables);

		assert_int_equal(vp_aws_ec2_create_route(hub, rtb, "10.0.4.0/22", &to_pcx, &err),
				 VP_OK);
		/* again: RouteAlreadyExists with the same target counts as done */
		if (vp_aws_ec2_create_route(hub, rtb, "10.0.4.0/22", &to_pcx, &err) != VP_OK)
			fail_msg("CreateRoute again: %s", err.error.message);
		if (vp_aws_ec2_replace_route(hub, rtb, "10.0.4.0/22", &to_pcx, &err) != VP_OK)
			fail_msg("ReplaceRoute: %s", err.error.message);
		{
			const char *ids[] = {rtb};
			struct vp_aws_ec2_query by_id = {.ids = ids, .id_count = 1};
			assert_int_equal(
				vp_aws_ec2_describe_route_tables(hub, &by_id, &tables, &err),
				VP_OK);
			for (size_t r = 0; r < tables->items[0].route_count; r++)
				if (tables->items[0].routes[r].destination_cidr_block &&
				    strcmp(tables->items[0].routes[r].destination_cidr_block,
					   "10.0.4.0/22") == 0)
					found = &tables->items[0].routes[r];
			if (!found)
				fail_msg("no route to 10.0.4.0/22 in %s", rtb);
			else
				assert_string_equal(found->vpc_peering_connection_id, pcx);
			vp_aws_ec2_route_table_list_free(tables);
		}
		assert_int_equal(vp_aws_ec2_delete_route(hub, rtb, "10.0.4.0/22", &err), VP_OK);
		/* again: InvalidRoute.NotFound counts as done */
		assert_int_equal(vp_aws_ec2_delete_route(hub, rtb, "10.0.4.0/22", &err), VP_OK);
		assert_int_equal(vp_aws_ec2_create_route(hub, "rtb-00000000000000000",
							 "10.0.4.0/22", &to_pcx, &err),
				 VP_ERR_NOT_FOUND);
		assert_string_equal(err.code, "InvalidRouteTableID.NotFound");

		/* the routes-per-table quota */
		assert_int_equal(vp_test_awsenv_control(&env, "POST", "/_awsenv/config",
							"{\"max_routes_per_table\": 1}", NULL, 0),
				 200);
		assert_int_equal(vp_aws_ec2_create_route(hub, rtb, "10.0.4.0/22", &to_pcx, &err),
				 VP_OK);
		assert_int_equal(vp_aws_ec2_create_route(hub, rtb, "10.0.8.0/22", &to_pcx, &err),
				 VP_ERR_EXHAUSTED);
		assert_string_equal(err.code, "RouteLimitExceeded");
	}

	/* unknown peering ids */
	{
		const char *ids[] = {"pcx-0123456789abcdef0"};
		struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
		assert_int_equal(vp_aws_ec2_describe_vpc_peering_connections(hub, &q, &pl, &err),
				 VP_ERR_NOT_FOUND);
		assert_string_equal(err.code, "InvalidVpcPeeringConnectionID.NotFound");
		assert_int_equal(vp_aws_ec2_accept_vpc_peering_connection(hub, ids[0], NULL, &err),
				 VP_ERR_NOT_FOUND);
		assert_int_equal(vp_aws_ec2_delete_vpc_peering_connection(hub, ids[0], &err),
				 VP_ERR_NOT_FOUND);
	}
	/* create, tag and reject through the typed calls */
	{
		char key[] = "vpcpeer:namespace", value[] = "1";
		struct vp_aws_ec2_tag tag = {key, value};
		struct vp_aws_ec2_peering_request req = {.vpc_id = b_vpc,
							 .peer_vpc_id = hub_vpc,
							 .peer_owner_id = HUB,
							 .peer_region = "us-east-1"};
		struct vp_aws_ec2_peering *made = NULL;
		const char *ids[1];
		struct vp_aws_ec2_query by_id = {.ids = ids, .id_count = 1};

		assert_int_equal(vp_aws_ec2_create_vpc_peering_connection(b, &req, &made, &err),
				 VP_OK);
		assert_non_null(made->vpc_peering_connection_id);
		assert_string_equal(made->requester.vpc_id, b_vpc);
		ids[0] = made->vpc_peering_connection_id;
		assert_int_equal(vp_aws_ec2_create_tags(b, ids[0], &tag, 1, &err), VP_OK);
		assert_int_equal(vp_aws_ec2_create_tags(b, ids[0], &tag, 0, &err), VP_ERR_INVALID);
		assert_int_equal(vp_aws_ec2_describe_vpc_peering_connections(b, &by_id, &pl, &err),
				 VP_OK);
		assert_non_null(vp_aws_ec2_tag(&pl->items[0].tags, "vpcpeer:namespace"));
		assert_string_equal(vp_aws_ec2_tag(&pl->items[0].tags, "vpcpeer:namespace"), "1");
		vp_aws_ec2_peering_list_free(pl);
		assert_int_equal(vp_aws_ec2_reject_vpc_peering_connection(hub, ids[0], &err),
				 VP_OK);
		assert_int_equal(
			vp_aws_ec2_describe_vpc_peering_connections(hub, &by_id, &pl, &err), VP_OK);
		assert_string_equal(pl->items[0].status_code, "rejected");
		vp_aws_ec2_peering_list_free(pl);
		vp_aws_ec2_peering_free(made);
	}
	assert_int_equal(vp_aws_ec2_delete_vpc_peering_connection(hub, pcx, &err), VP_OK);
	free(rtb);
	free(pcx);
	free(hub_vpc);
	free(b_vpc);
	vp_aws_client_free(hub);
	vp_aws_client_free(b);
}

static void test_paging(void **state)
{
	struct vp_aws_credentials_provider *creds = NULL;
	struct vp_aws_client_config cfg = {.region = "us-east-1",
					   .endpoint_url = env.url,
					   .config_file = "/nonexistent",
					   .credentials_file = "/nonexistent",
					   .ec2_page_size = 5};
	struct vp_aws_client *c = NULL;
	struct vp_aws_ec2_vpc_list *vpcs = NULL;
	char calls[4096];
	(void)state;

	assert_int_equal(
		vp_aws_credentials_provider_new_static(HUB_KEY, HUB_SECRET, NULL, &creds, NULL),
		VP_OK);
	cfg.credentials = creds;
	assert_int_equal(vp_aws_client_new(&cfg, &c, NULL), VP_OK);
	vp_aws_credentials_provider_free(creds);
	for (int i = 0; i < 7; i++) {
		char cidr[32];
		snprintf(cidr, sizeof(cidr), "10.%d.0.0/16", 10 + i);
		free(vp_test_aws_raw(c, VP_AWS_EC2, "CreateVpc", NULL, "CidrBlock", cidr,
				     (char *)NULL));
	}
	vp_test_awsenv_control(&env, "DELETE", "/_awsenv/calls", NULL, NULL, 0);
	assert_int_equal(vp_aws_ec2_describe_vpcs(c, NULL, &vpcs, NULL), VP_OK);
	assert_true(vpcs->count >= 7); /* moto's default VPC too */
	vp_aws_ec2_vpc_list_free(vpcs);
	/* moto answers DescribeVpcs in one page whatever MaxResults says, so this only
	   checks that a paged request is accepted; the stub-driven unit test checks paging */
	vp_test_awsenv_control(&env, "GET", "/_awsenv/calls", NULL, calls, sizeof(calls));
	assert_non_null(strstr(calls, "\"DescribeVpcs\""));
	vp_aws_client_free(c);
}

static void test_faults_and_retries(void **state)
{
	struct vp_aws_client *c = client_for(HUB_KEY, HUB_SECRET, NULL);
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_ec2_vpc_list *vpcs = NULL;
	struct vp_aws_error err;
	(void)state;

	/* throttling then success */
	vp_test_awsenv_post(
		&env, "/_awsenv/faults",
		"{\"rules\": [{\"service\": \"sts\", \"action\": \"GetCallerIdentity\", "
		"\"fault\": \"throttle\", \"count\": 2}]}");
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_OK);
	assert_int_equal(err.attempts, 3);
	vp_aws_caller_identity_free(id);
	/* 500 then success */
	vp_test_awsenv_post(
		&env, "/_awsenv/faults",
		"{\"rules\": [{\"service\": \"ec2\", \"fault\": \"error\", \"count\": 1}]}");
	assert_int_equal(vp_aws_ec2_describe_vpcs(c, NULL, &vpcs, &err), VP_OK);
	assert_int_equal(err.attempts, 2);
	vp_aws_ec2_vpc_list_free(vpcs);
	/* retries exhausted: EC2 throttling is RequestLimitExceeded, HTTP 503 */
	vp_test_awsenv_post(&env, "/_awsenv/faults",
			    "{\"rules\": [{\"service\": \"ec2\", \"fault\": \"throttle\"}]}");
	assert_int_equal(vp_aws_ec2_describe_vpcs(c, NULL, &vpcs, &err), VP_ERR_UNAVAILABLE);
	assert_int_equal(err.attempts, 3);
	assert_string_equal(err.code, "RequestLimitExceeded");
	assert_int_equal(err.http_status, 503);
	assert_true(err.throttling);
	vp_test_awsenv_post(&env, "/_awsenv/faults",
			    "{\"rules\": [{\"service\": \"iam\", \"fault\": \"throttle\"}]}");
	{
		struct vp_aws_iam_role *role = NULL;
		assert_int_equal(vp_aws_iam_get_role(c, "x", &role, &err), VP_ERR_UNAVAILABLE);
		assert_string_equal(err.code, "Throttling");
		assert_int_equal(err.attempts, 3);
	}
	vp_aws_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_get_caller_identity, reset),
		cmocka_unit_test_setup(test_wrong_secret_and_unknown_key, reset),
		cmocka_unit_test_setup(test_iam_roles_and_assume_role, reset),
		cmocka_unit_test_setup(test_assume_role_through_a_profile, reset),
		cmocka_unit_test_setup(test_ec2_peering_and_routes, reset),
		cmocka_unit_test_setup(test_paging, reset),
		cmocka_unit_test_setup(test_faults_and_retries, reset),
	};
	int rc;

	if (vp_test_awsenv_setup("test_awsenv", &env) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	vp_test_awsenv_teardown("test_awsenv", &env);
	return rc;
}
