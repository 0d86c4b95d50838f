/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One loopback HTTP server (libmicrohttpd, a thread per connection) standing
 * in for everything the Lambda handler talks to:
 *   /2018-06-01/...  the Lambda Runtime API: queued events, recorded posts
 *   /cfn/...         CloudFormation's pre-signed ResponseURL: recorded PUTs
 *   /v1/...          a broker with a small in-memory registry (register, get,
 *                    list by state two to a page, confirm, release), or scripted
 *                    refusals, or one that hangs
 *   /2015-03-31/...  Lambda Invoke of the probe function (the probe mode in-process)
 * Thread-safe. Everything recorded is copied out.
 */
#ifndef VP_TEST_CFN_FAKE_H
#define VP_TEST_CFN_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake;
struct vp_aws_client;

/*
 * The group set-up of the tests that use the fake (cmocka): the environment
 * Lambda gives a function (example credentials, us-east-1; no instance
 * metadata, no AWS config files), JSON logs at ERROR only, libcurl's global
 * state, the AWS client the handler signs proofs with (fake_aws) and one
 * started fake (fake). fake_group_teardown() stops and frees both.
 */
extern struct fake *fake;
extern struct vp_aws_client *fake_aws;
int fake_group_setup(void **state);
int fake_group_teardown(void **state);

struct fake *fake_start(void);
void fake_stop(struct fake *f);
const char *fake_url(const struct fake *f);      /* "http://127.0.0.1:PORT" */
const char *fake_hostport(const struct fake *f); /* "127.0.0.1:PORT" */

/* The Runtime API: the next GET .../next answers the oldest queued event (500 when none). */
void fake_queue_event(struct fake *f, const char *request_id, int64_t deadline_ms,
		      const char *body);

struct fake_post {
	char path[256];
	char error_type[128]; /* Lambda-Runtime-Function-Error-Type */
	char body[8192];
};
size_t fake_post_count(struct fake *f);
struct fake_post fake_post_at(struct fake *f, size_t i);

struct fake_put {
	char method[8];
	char path[512];
	bool has_content_type;
	char content_type[128];
	char content_length[32];
	size_t len;
	char body[8192];
	int64_t at_ms; /* unix ms when it arrived */
};
size_t fake_put_count(struct fake *f);
struct fake_put fake_put_at(struct fake *f, size_t i);
/* The next n PUTs answer `status` (and are recorded). */
void fake_put_fail(struct fake *f, int n, int status);

struct fake_call {
	char method[8];
	char path[256];
	char body[2048];
	bool proof; /* Authorization: Vpcpeer-Proof ... */
};
size_t fake_broker_call_count(struct fake *f);
struct fake_call fake_broker_call_at(struct fake *f, size_t i);
/* Every broker call answers status+body (0: back to the registry). */
void fake_broker_refuse(struct fake *f, int status, const char *body);
/* Only the next n broker calls answer status+body (a 503 with Retry-After: 1). */
void fake_broker_refuse_next(struct fake *f, int n, int status, const char *body);
/* Broker calls hang until fake_stop() (or this is turned off). */
void fake_broker_hang(struct fake *f, bool on);
/* Set a namespace's state, or its client ref (as if the number had been reused). */
void fake_broker_set_state(struct fake *f, int64_t n, const char *state);
/* The answers' PeeringAccepter ("broker": PeerRoleArn null too); NULL or "": none. */
void fake_broker_set_accepter(struct fake *f, const char *mode);
void fake_broker_set_client_ref(struct fake *f, int64_t n, const char *ref);
/* The plan's subnets, 1..4 (0: 4): answers name SubnetACidrBlock.. that many. */
void fake_broker_set_subnets(struct fake *f, int subnets);
/* Active answers name this HostedZoneId (NULL or "": null). */
void fake_broker_set_hosted_zone(struct fake *f, const char *zone);
/*
 * The transit-gateway mode's answers (issue 16): Attach "transit-gateway",
 * FAKE_TGW_ID, FAKE_SHARE_ARN, TransitGatewayAttachmentId; confirm takes
 * transit_gateway_attachment_id. false: back to peering answers.
 */
#define FAKE_TGW_ID    "tgw-0123456789abcdef0"
#define FAKE_SHARE_ARN "arn:aws:ram:us-east-1:111111111111:resource-share/0f1e2d3c-share"
void fake_broker_set_tgw(struct fake *f, bool on);
/* Route 53 (/2013-04-01/...): the calls made; every call answers status+code (0: INSYNC). */
size_t fake_route53_call_count(struct fake *f);
struct fake_call fake_route53_call_at(struct fake *f, size_t i);
void fake_route53_fail(struct fake *f, int status, const char *code);
/*
 * Lambda Invoke (/2015-03-31/functions/...): the calls made (type: their
 * X-Amz-Invocation-Type). By default the probe mode answers in-process;
 * fake_invoke_answer() scripts status, X-Amz-Function-Error ("" none; with a
 * status other than 200 it is sent as x-amzn-ErrorType, Lambda's error code)
 * and body instead (status 0: back to the probe mode).
 */
size_t fake_invoke_count(struct fake *f);
struct fake_call fake_invoke_at(struct fake *f, size_t i, char type[32]);
void fake_invoke_answer(struct fake *f, int status, const char *function_error, const char *body);
/* Forget everything recorded and scripted (the registry too). */
void fake_reset(struct fake *f);

#endif
