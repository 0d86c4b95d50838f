/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's unit-test world: a broker whose AWS client talks to the
 * scripted loopback stub (tests/unit/aws/stub.h) with fixed credentials, and
 * a SQLite registry in a temporary directory. Every AWS call is POST / on the
 * stub, so a test scripts the answers in the order the workflow makes the
 * calls, then checks the recorded requests (their Action and parameters) and
 * the registry.
 */
#ifndef VP_TEST_BROKER_FIXTURE_H
#define VP_TEST_BROKER_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "broker/broker.h"
#include "registry/registry.h"
#include "../aws/stub.h"

#define FX_HUB      "111111111111"
#define FX_B        "222222222222" /* allowed */
#define FX_C        "333333333333" /* allowed */
#define FX_D        "444444444444" /* not allowed */
#define FX_VPC      "vpc-0a0a0a0a"
#define FX_RTB1     "rtb-1111aaaa"
#define FX_RTB2     "rtb-2222bbbb"
#define FX_ROLE_A   "role-a"
#define FX_ROLE_B   "role-b"
#define FX_ARN_A    "arn:aws:iam::" FX_HUB ":role/" FX_ROLE_A
#define FX_ARN_B    "arn:aws:iam::" FX_HUB ":role/" FX_ROLE_B
#define FX_HUB_CIDR "10.0.0.0/22"
/* A peer role's trust policy before the broker added anyone: the hub account only. */
#define FX_HUB_TRUST                                                                               \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":" \
	"\"arn:aws:iam::" FX_HUB ":root\"},\"Action\":\"sts:AssumeRole\"}]}"

struct fx {
	struct stub *stub;
	struct vp_aws_client *aws;
	char dir[64];
	struct vp_registry *reg;
	struct vp_broker_config cfg; /* hub, roles A and B, allow B and C, tables RTB1 and RTB2 */
	struct vp_broker *broker;
};

/* The registry's clock: unix seconds, or 0 (set by fx_init) for the system's. */
extern int64_t fx_now;

/* The stub, the AWS client (1 attempt: no retries), the registry, the configuration. */
void fx_init(struct fx *f);
/* vp_broker_new with its start-up calls answered (DescribeVpcs, DescribeRouteTables, the quota
 * view's DescribeVpcPeeringConnections and DescribeRouteTables, GetRole per role), then the
 * recorded requests forgotten. */
void fx_start(struct fx *f);
/* fx_start with the hub as the quota view first reads it: DescribeVpcPeeringConnections'
 * items (EC2 <item> elements, may be "") and extra routes in both tables (may be ""). */
void fx_start_hub(struct fx *f, const char *peerings, const char *routes);
void fx_free(struct fx *f);
/* cmocka setup/teardown: a started broker in *state (one static world per program). */
int fx_setup(void **state);
int fx_teardown(void **state);

/* ---- scripting the next answers (in call order) ---- */

/* The next call gets HTTP 200 with this body. */
void fx_answer(struct fx *f, const char *body);
/* The next call gets an AWS error (EC2's shape; the client reads IAM's the same way). */
void fx_error(struct fx *f, int status, const char *code, const char *message);
/* GetRole of `name` with this trust policy (JSON). */
void fx_get_role(struct fx *f, const char *name, const char *document);
/* An answer with no result: UpdateAssumeRolePolicy, CreateRoute, DeleteRoute. */
void fx_ok(struct fx *f, const char *action);
/* DescribeRouteTables: RTB1 and RTB2 of the hub VPC, each with its local route plus `routes`
 * (EC2 <item> elements, may be ""). */
void fx_tables(struct fx *f, const char *routes);
/* DescribeVpcPeeringConnections answering these <item> elements (may be ""). */
void fx_peerings(struct fx *f, const char *items);
/* DescribeVpcPeeringConnections: one peering to the hub VPC. */
void fx_peering(struct fx *f, const char *pcx, const char *owner, const char *vpc, const char *cidr,
		const char *status);

/* ---- the recorded requests ---- */

size_t fx_count(struct fx *f);
/* Whether request i's form body contains `text`. */
bool fx_has(struct fx *f, size_t i, const char *text);
/* "DestinationCidrBlock=<cidr>" as the form body has it (the slash percent-encoded). */
void fx_form_cidr(const char *cidr, char *out, size_t size);
/* Request i is `action` and its body contains every string of the NULL-terminated list. */
void fx_expect(struct fx *f, size_t i, const char *action, ...);

/* ---- workflows ---- */

struct vp_identity fx_caller(const char *account);
/* Register (account, ref), answering the calls: the route tables, and when `grant` the
 * GetRole + UpdateAssumeRolePolicy of role A. Asserts success; forgets the requests. */
void fx_register(struct fx *f, const char *account, const char *ref, bool grant,
		 struct vp_registration *out);
/* Confirm n with its peering (active, matching) and routes in both tables. Forgets the
 * requests. */
void fx_confirm(struct fx *f, const struct vp_registration *reg, const char *pcx, const char *vpc);
/* The record of n as the registry has it. */
struct vp_namespace_record fx_record(struct fx *f, int64_t n);

/*
 * The transit-gateway confirm's CIDR check (tgw_attach.c): the propagation of att into the
 * verify table turned on, the routes att propagated there (cidrs: space-separated, each an
 * active propagated route of att) read twice, the propagation turned off.
 */
void fx_tgw_verified(struct fx *f, const char *att, const char *cidrs);

#endif
