/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request pipeline against a loopback stand-in: signing, standard
 * retries (throttling then success, 500 then success, exhaustion, the retry
 * quota, connection errors), keep-alive, threads, paging, and the
 * repeat-safe route calls.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/route53.h"
#include "aws/ec2.h"
#include "aws/sts.h"
#include "stub.h"
#include "static_client.h"

static const char identity[] =
	"<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
	"<GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/hub</Arn><UserId>AIDAX</"
	"UserId>"
	"<Account>111111111111</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
static const char throttled[] =
	"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
	"</Message></Error><RequestId>rid-1</RequestId></ErrorResponse>";
static const char ec2_throttled[] =
	"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
	"</Message></Error></Errors><RequestID>rid-2</RequestID></Response>";
static const char internal[] =
	"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom"
	"</Message></Error></ErrorResponse>";
static const char bad_signature[] =
	"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>"
	"</ErrorResponse>";

static struct stub *stub;

static struct vp_aws_client *client(int max_attempts, int quota, const char *endpoint)
{
	struct vp_aws_client_config cfg = {
		.region = "us-east-1",
		.endpoint_url = endpoint ? endpoint : stub_url(stub),
		.config_file = "/nonexistent",
		.credentials_file = "/nonexistent",
		.max_attempts = max_attempts,
		.retry_quota = quota,
		.retry_base_delay = 0.001,
		.connect_timeout_ms = 2000,
		.timeout_ms = 5000,
	};

	return vp_test_static_client(cfg, "AKIDTEST", "secret", NULL);
}

static int reset(void **state)
{
	(void)state;
	stub_reset(stub);
	return 0;
}

static void test_signed_request_and_answer(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_error err;
	struct stub_request r;
	(void)state;

	stub_on(stub, "POST", "/", -1, 200, identity);
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_OK);
	assert_string_equal(id->account, "111111111111");
	assert_int_equal(err.attempts, 1);
	r = stub_request_at(stub, 0);
	assert_string_equal(r.body, "Action=GetCallerIdentity&Version=2011-06-15");
	assert_non_null(strstr(r.authorization, "AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
	assert_non_null(strstr(r.authorization, "/us-east-1/sts/aws4_request, SignedHeaders="
						"content-type;host;x-amz-date, Signature="));
	assert_int_equal(vp_aws_client_retry_quota(c), 500);
	vp_aws_caller_identity_free(id);
	vp_aws_client_free(c);
}

static void test_throttling_then_success(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_error err;
	(void)state;

	stub_on(stub, "POST", "/", 2, 400, throttled);
	stub_on(stub, "POST", "/", -1, 200, identity);
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_OK);
	assert_int_equal(err.attempts, 3);
	assert_int_equal(stub_request_count(stub), 3);
	/* two retries took 10 tokens; the success gave the last 5 back */
	assert_int_equal(vp_aws_client_retry_quota(c), 495);
	vp_aws_caller_identity_free(id);
	vp_aws_client_free(c);
}

static void test_500_then_success(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_error err;
	(void)state;

	stub_on(stub, "POST", "/", 1, 500, internal);
	stub_on(stub, "POST", "/", 1, 502, "<html>bad gateway</html>");
	stub_on(stub, "POST", "/", -1, 200, identity);
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_OK);
	assert_int_equal(err.attempts, 3);
	vp_aws_caller_identity_free(id);
	vp_aws_client_free(c);
}

static void test_retries_exhausted(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_ec2_vpc_list *vpcs = NULL;
	struct vp_aws_error err;
	(void)state;

	stub_on(stub, "POST", "/", -1, 503, ec2_throttled);
	assert_int_equal(vp_aws_ec2_describe_vpcs(c, NULL, &vpcs, &err), VP_ERR_UNAVAILABLE);
	assert_null(vpcs);
	assert_int_equal(err.attempts, 3);
	assert_int_equal(stub_request_count(stub), 3);
	assert_string_equal(err.code, "RequestLimitExceeded");
	assert_string_equal(err.request_id, "rid-2");
	assert_int_equal(err.http_status, 503);
	assert_true(err.retryable);
	assert_true(err.throttling);
	assert_non_null(strstr(err.error.message, "ec2 DescribeVpcs: RequestLimitExceeded"));
	vp_aws_client_free(c);

	/* max attempts is configurable */
	stub_reset(stub);
	stub_on(stub, "POST", "/", -1, 503, ec2_throttled);
	c = client(5, 0, NULL);
	assert_int_equal(vp_aws_ec2_describe_vpcs(c, NULL, &vpcs, &err), VP_ERR_UNAVAILABLE);
	assert_int_equal(err.attempts, 5);
	vp_aws_client_free(c);
}

static void test_not_retryable(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_error err;
	(void)state;

	stub_on(stub, "POST", "/", -1, 403, bad_signature);
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_ERR_AUTH);
	assert_int_equal(err.attempts, 1);
	assert_false(err.retryable);
	assert_string_equal(err.request_id, "stub-request-id"); /* from the header */
	vp_aws_client_free(c);
}

static void test_retry_quota_stops_retries(void **state)
{
	struct vp_aws_client *c = client(10, 10, NULL);
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_error err;
	(void)state;

	stub_on(stub, "POST", "/", -1, 500, internal);
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_ERR_UNAVAILABLE);
	assert_int_equal(err.attempts, 3); /* 10 tokens: two retries of 5 */
	assert_non_null(strstr(err.error.message, "retry quota exhausted"));
	assert_int_equal(vp_aws_client_retry_quota(c), 0);
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_ERR_UNAVAILABLE);
	assert_int_equal(err.attempts, 1); /* no tokens: no retry at all */
	vp_aws_client_free(c);
}

static void test_connection_errors_are_retried(void **state)
{
	struct vp_aws_client *c = client(0, 0, "http://127.0.0.1:1");
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_error err;
	(void)state;

	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_ERR_IO);
	assert_int_equal(err.attempts, 3);
	assert_int_equal(err.http_status, 0);
	assert_string_equal(err.code, "");
	assert_true(err.retryable);
	vp_aws_client_free(c);
}

static void test_keep_alive(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	size_t before = stub_connections(stub);
	(void)state;

	stub_on(stub, "POST", "/", -1, 200, identity);
	for (int i = 0; i < 20; i++) {
		struct vp_aws_caller_identity *id = NULL;
		assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, NULL), VP_OK);
		vp_aws_caller_identity_free(id);
	}
	assert_int_equal(stub_connections(stub) - before, 1);
	vp_aws_client_free(c);
}

static void *calls(void *arg)
{
	struct vp_aws_client *c = arg;
	intptr_t failures = 0;
	for (int i = 0; i < 25; i++) {
		struct vp_aws_caller_identity *id = NULL;
		if (vp_aws_sts_get_caller_identity(c, &id, NULL) != VP_OK)
			failures++;
		vp_aws_caller_identity_free(id);
	}
	return (void *)failures;
}

static void test_threads(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	pthread_t t[4];
	(void)state;

	stub_on(stub, "POST", "/", -1, 200, identity);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, calls, c);
	for (int i = 0; i < 4; i++) {
		void *failures;
		pthread_join(t[i], &failures);
		assert_int_equal((intptr_t)failures, 0);
	}
	assert_int_equal(stub_request_count(stub), 100);
	vp_aws_client_free(c);
}

static void test_paging_follows_next_token(void **state)
{
	struct vp_aws_credentials_provider *creds = NULL;
	struct vp_aws_client_config cfg = {.region = "us-east-1",
					   .endpoint_url = stub_url(stub),
					   .config_file = "/nonexistent",
					   .credentials_file = "/nonexistent",
					   .ec2_page_size = 5};
	struct vp_aws_client *c = NULL;
	struct vp_aws_ec2_vpc_list *vpcs = NULL;
	const char *values[] = {"10.0.0.0/22", "10.0.4.0/22"};
	struct vp_aws_ec2_filter f = {"cidr", values, 2};
	struct vp_aws_ec2_query q = {.filters = &f, .filter_count = 1};
	(void)state;

	assert_int_equal(
		vp_aws_credentials_provider_new_static("AKIDTEST", "s", NULL, &creds, NULL), VP_OK);
	cfg.credentials = creds;
	assert_int_equal(vp_aws_client_new(&cfg, &c, NULL), VP_OK);
	vp_aws_credentials_provider_free(creds);
	stub_on(stub, "POST", "/", 1, 200,
		"<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId></item></vpcSet>"
		"<nextToken>page2</nextToken></DescribeVpcsResponse>");
	stub_on(stub, "POST", "/", 1, 200,
		"<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-2</vpcId></item><item><vpcId>vpc-3"
		"</vpcId></item></vpcSet></DescribeVpcsResponse>");
	assert_int_equal(vp_aws_ec2_describe_vpcs(c, &q, &vpcs, NULL), VP_OK);
	assert_int_equal(vpcs->count, 3);
	assert_string_equal(vpcs->items[2].vpc_id, "vpc-3");
	assert_string_equal(
		stub_request_at(stub, 0).body,
		"Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=cidr&"
		"Filter.1.Value.1=10.0.0.0%2F22&Filter.1.Value.2=10.0.4.0%2F22&MaxResults=5");
	assert_non_null(strstr(stub_request_at(stub, 1).body, "&NextToken=page2"));
	vp_aws_ec2_vpc_list_free(vpcs);
	vp_aws_client_free(c);
}

static const char route_exists[] =
	"<Response><Errors><Error><Code>RouteAlreadyExists</Code><Message>The route identified by "
	"10.0.4.0/22 already exists.</Message></Error></Errors><RequestID>x</RequestID></Response>";

static void table_with(const char *pcx, const char *state_)
{
	char body[1024];
	snprintf(body, sizeof(body),
		 "<DescribeRouteTablesResponse><routeTableSet><item><routeTableId>rtb-1</"
		 "routeTableId>"
		 "<routeSet><item><destinationCidrBlock>10.0.4.0/22</destinationCidrBlock>"
		 "<vpcPeeringConnectionId>%s</vpcPeeringConnectionId><state>%s</state></item>"
		 "</routeSet></item></routeTableSet></DescribeRouteTablesResponse>",
		 pcx, state_);
	stub_on(stub, "POST", "/", 1, 400, route_exists);
	stub_on(stub, "POST", "/", 1, 200, body);
}

static void test_create_route_is_repeat_safe(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_ec2_route_target t = {.vpc_peering_connection_id = "pcx-1"};
	struct vp_aws_error err;
	(void)state;

	table_with("pcx-1", "active");
	assert_int_equal(vp_aws_ec2_create_route(c, "rtb-1", "10.0.4.0/22", &t, &err), VP_OK);
	assert_non_null(strstr(stub_request_at(stub, 1).body, "Action=DescribeRouteTables"));
	assert_non_null(strstr(stub_request_at(stub, 1).body, "RouteTableId.1=rtb-1"));
	table_with("pcx-other", "active");
	assert_int_equal(vp_aws_ec2_create_route(c, "rtb-1", "10.0.4.0/22", &t, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.error.message, "another target"));
	table_with("pcx-1", "blackhole");
	assert_int_equal(vp_aws_ec2_create_route(c, "rtb-1", "10.0.4.0/22", &t, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.error.message, "blackhole"));
	t.gateway_id = "igw-1"; /* two targets */
	assert_int_equal(vp_aws_ec2_create_route(c, "rtb-1", "10.0.4.0/22", &t, &err),
			 VP_ERR_INVALID);

	stub_reset(stub);
	stub_on(stub, "POST", "/", 1, 400,
		"<Response><Errors><Error><Code>InvalidRoute.NotFound</Code><Message>no "
		"route</Message>"
		"</Error></Errors></Response>");
	assert_int_equal(vp_aws_ec2_delete_route(c, "rtb-1", "10.0.4.0/22", &err), VP_OK);
	vp_aws_client_free(c);
}

static void test_unsent_identity_proof(void **state)
{
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_header h[] = {{"X-Vpcpeer-Server-Id", "broker-1"}};
	struct vp_aws_signed_request *r = NULL;
	(void)state;

	assert_int_equal(vp_aws_sts_sign_get_caller_identity(c, h, 1, &r, NULL), VP_OK);
	assert_string_equal(r->method, "POST");
	assert_int_equal(strncmp(r->url, stub_url(stub), strlen(stub_url(stub))), 0);
	assert_string_equal(r->body, "Action=GetCallerIdentity&Version=2011-06-15");
	assert_non_null(strstr(vp_aws_signed_request_header(r, "Authorization"),
			       "SignedHeaders=content-type;host;x-amz-date;x-vpcpeer-server-id,"));
	assert_int_equal(stub_request_count(stub), 0); /* nothing was sent */
	vp_aws_signed_request_free(r);
	vp_aws_client_free(c);
}

/* Without a provider a client sends nothing until it is given one (what chain.c does). */
static void test_credentials_given_after_creation(void **state)
{
	struct vp_aws_client_config cfg = {.region = "us-east-1",
					   .endpoint_url = stub_url(stub),
					   .config_file = "/nonexistent",
					   .credentials_file = "/nonexistent",
					   .retry_base_delay = 0.001};
	struct vp_aws_credentials_provider *creds = NULL;
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_client *c = NULL;
	struct vp_aws_error err;
	(void)state;

	assert_int_equal(vp_aws_client_new(&cfg, &c, NULL), VP_OK);
	assert_null(vp_aws_client_credentials(c));
	stub_on(stub, "POST", "/", -1, 200, identity);
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_ERR_AUTH);
	assert_non_null(strstr(err.error.message, "no credentials provider"));
	assert_int_equal(stub_request_count(stub), 0);
	assert_int_equal(
		vp_aws_credentials_provider_new_static("AKIDLATE", "s", NULL, &creds, NULL), VP_OK);
	vp_aws_client_set_credentials(c, creds);
	vp_aws_credentials_provider_free(creds); /* the client holds its own reference */
	assert_int_equal(vp_aws_sts_get_caller_identity(c, &id, &err), VP_OK);
	assert_non_null(strstr(stub_request_at(stub, 0).authorization, "Credential=AKIDLATE/"));
	vp_aws_caller_identity_free(id);
	vp_aws_client_free(c);
}

/* A REST-XML call (Route 53): method and path as given, signed for route53 in us-east-1,
 * PriorRequestNotComplete retried (Route 53 API Reference, "Common errors"), the answer's
 * body handed back; an error names AWS's code. */
static void test_rest_call(void **state)
{
	static const char prior[] =
		"<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error>"
		"<Type>Sender</Type><Code>PriorRequestNotComplete</Code><Message>wait</Message>"
		"</Error><RequestId>r1</RequestId></ErrorResponse>";
	static const char zone[] = "<GetHostedZoneResponse><HostedZone><Id>/hostedzone/ZABC</Id>"
				   "</HostedZone></GetHostedZoneResponse>";
	static const char missing[] =
		"<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code>"
		"<Message>No hosted zone found with ID: ZX</Message></Error>"
		"<RequestId>r2</RequestId></ErrorResponse>";
	static const char assoc[] = "<AssociateVPCWithHostedZoneRequest/>";
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_error err;
	struct vp_buf body;
	struct stub_request r;
	(void)state;

	vp_buf_init(&body, 1 << 16);
	stub_on(stub, "GET", "/2013-04-01/hostedzone/ZABC", 1, 400, prior);
	stub_on(stub, "GET", "/2013-04-01/hostedzone/ZABC", -1, 200, zone);
	assert_int_equal(vp_aws_client_rest(c, VP_AWS_ROUTE53, "GetHostedZone", "GET",
					    "/2013-04-01/hostedzone/ZABC", NULL, NULL, 0, &body,
					    &err),
			 VP_OK);
	assert_int_equal(err.attempts, 2);
	assert_int_equal(body.len, strlen(zone));
	r = stub_request_at(stub, 1);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.path, "/2013-04-01/hostedzone/ZABC");
	assert_non_null(strstr(r.authorization, "/us-east-1/route53/aws4_request"));

	stub_on(stub, "POST", "/2013-04-01/hostedzone/ZABC/associatevpc", -1, 200, zone);
	assert_int_equal(vp_aws_client_rest(c, VP_AWS_ROUTE53, "AssociateVPCWithHostedZone", "POST",
					    "/2013-04-01/hostedzone/ZABC/associatevpc", NULL, assoc,
					    strlen(assoc), &body, &err),
			 VP_OK);
	r = stub_request_at(stub, 2);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.body, assoc);

	stub_on(stub, "GET", "/2013-04-01/hostedzone/ZX", -1, 404, missing);
	assert_int_equal(vp_aws_client_rest(c, VP_AWS_ROUTE53, "GetHostedZone", "GET",
					    "/2013-04-01/hostedzone/ZX", NULL, NULL, 0, &body,
					    &err),
			 VP_ERR_AWS);
	assert_string_equal(err.code, "NoSuchHostedZone");
	assert_int_equal(err.http_status, 404);
	assert_int_equal(err.attempts, 1);
	assert_non_null(strstr(err.error.message, "route53 GetHostedZone: NoSuchHostedZone"));

	assert_int_equal(vp_aws_client_rest(c, VP_AWS_ROUTE53, "GetHostedZone", "GET", "no-slash",
					    NULL, NULL, 0, &body, &err),
			 VP_ERR_INVALID);
	vp_buf_cleanup(&body);
	vp_aws_client_free(c);
}

/* Route 53's calls over the REST path: errors remapped, authorizations listed page by page. */
static void test_route53_calls(void **state)
{
	static const char denied[] =
		"<ErrorResponse><Error><Type>Sender</Type><Code>NotAuthorizedException</Code>"
		"<Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>";
	static const char page1[] =
		"<ListVPCAssociationAuthorizationsResponse><HostedZoneId>ZABC</HostedZoneId>"
		"<NextToken>t/2</NextToken><VPCs><VPC><VPCRegion>eu-west-1</VPCRegion>"
		"<VPCId>vpc-1a2b3c4d</VPCId></VPC></VPCs></"
		"ListVPCAssociationAuthorizationsResponse>";
	static const char page2[] =
		"<ListVPCAssociationAuthorizationsResponse><HostedZoneId>ZABC</HostedZoneId><VPCs>"
		"<VPC><VPCRegion>eu-west-1</VPCRegion><VPCId>vpc-2a2b3c4d</VPCId></VPC></VPCs>"
		"</ListVPCAssociationAuthorizationsResponse>";
	struct vp_aws_client *c = client(0, 0, NULL);
	struct vp_aws_route53_vpcs *l = NULL;
	struct vp_aws_error err;
	(void)state;

	stub_on(stub, "POST", "/2013-04-01/hostedzone/ZABC/associatevpc", -1, 401, denied);
	assert_int_equal(vp_aws_route53_vpc_call(c, VP_R53_ASSOCIATE, "ZABC", "eu-west-1",
						 "vpc-1a2b3c4d", &err),
			 VP_ERR_FORBIDDEN);
	assert_int_equal(err.error.code, VP_ERR_FORBIDDEN);
	assert_string_equal(err.code, "NotAuthorizedException");
	stub_on(stub, "GET", "/2013-04-01/hostedzone/ZABC/authorizevpcassociation", 1, 200, page1);
	stub_on(stub, "GET", "/2013-04-01/hostedzone/ZABC/authorizevpcassociation", 1, 200, page2);
	assert_int_equal(vp_aws_route53_list_authorizations(c, "ZABC", &l, &err), VP_OK);
	assert_int_equal(l->count, 2);
	assert_true(vp_aws_route53_vpcs_has(l, "eu-west-1", "vpc-2a2b3c4d"));
	assert_int_equal(stub_request_count(stub), 3);
	vp_aws_route53_vpcs_free(l);
	vp_aws_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_signed_request_and_answer, reset),
		cmocka_unit_test_setup(test_throttling_then_success, reset),
		cmocka_unit_test_setup(test_500_then_success, reset),
		cmocka_unit_test_setup(test_retries_exhausted, reset),
		cmocka_unit_test_setup(test_not_retryable, reset),
		cmocka_unit_test_setup(test_retry_quota_stops_retries, reset),
		cmocka_unit_test_setup(test_connection_errors_are_retried, reset),
		cmocka_unit_test_setup(test_keep_alive, reset),
		cmocka_unit_test_setup(test_threads, reset),
		cmocka_unit_test_setup(test_paging_follows_next_token, reset),
		cmocka_unit_test_setup(test_create_route_is_repeat_safe, reset),
		cmocka_unit_test_setup(test_unsent_identity_proof, reset),
		cmocka_unit_test_setup(test_credentials_given_after_creation, reset),
		cmocka_unit_test_setup(test_rest_call, reset),
		cmocka_unit_test_setup(test_route53_calls, reset),
	};
	int rc;

	if (vp_aws_global_init(NULL) != VP_OK)
		return 1;
	stub = stub_start();
	if (!stub)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	stub_stop(stub);
	vp_aws_global_cleanup();
	return rc;
}
