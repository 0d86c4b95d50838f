/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CloudFormation custom-resource requests (the Lambda event) and the
 * properties of vpcpeer's two resource types (docs/lambda.md).
 *
 * Parsing happens in two steps so that every answerable request is answered:
 * vp_cfn_event_parse() fails only when the request cannot be answered at all
 * (no ResponseURL, StackId, RequestId or LogicalResourceId); anything else
 * wrong with it (an unknown RequestType, no PhysicalResourceId on a Delete)
 * is recorded in event->defect and answered FAILED. The properties of each
 * resource type are parsed on their own, with messages that name the
 * property.
 *
 * Ownership: struct vp_cfn_event is caller storage; vp_cfn_event_parse()
 * fills it and vp_cfn_event_cleanup() frees it (twice is a no-op). Its
 * strings point into the parsed document and live as long as the event. The
 * property structs hold copies: nothing to free.
 */
#ifndef VP_CFN_EVENT_H
#define VP_CFN_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ids.h"
#include "core/error.h"

#define VP_CFN_EVENT_MAX          ((size_t)256 * 1024) /* Lambda's asynchronous payload limit */
#define VP_CFN_URL_MAX            8192 /* a pre-signed S3 URL with a session token */
#define VP_CFN_STACK_ID_MAX       1024
#define VP_CFN_REQUEST_ID_MAX     256
#define VP_CFN_LOGICAL_ID_MAX     256
#define VP_CFN_PHYSICAL_ID_MAX    1024 /* CloudFormation's limit: 1 KB */
#define VP_CFN_BROKER_URL_MAX     511  /* the broker client's URL limit */
#define VP_CFN_HOST_MAX           253
#define VP_CFN_HEALTH_CHECK_MAX   4096 /* the HealthCheck list's text */
#define VP_CFN_PROBE_FUNCTION_MAX 170  /* Lambda Invoke's FunctionName (aws/lambda.h) */

#define VP_CFN_REGISTRATION_TYPE "Custom::PeeringRegistration"
#define VP_CFN_CONFIRMATION_TYPE "Custom::PeeringConfirmation"

enum vp_cfn_request_type { VP_CFN_CREATE, VP_CFN_UPDATE, VP_CFN_DELETE, VP_CFN_UNKNOWN_REQUEST };
enum vp_cfn_resource { VP_CFN_REGISTRATION, VP_CFN_CONFIRMATION, VP_CFN_UNKNOWN_RESOURCE };

struct vp_cfn_event {
	json_t *doc; /* owns every string below */
	/* The envelope: always set after a successful parse. */
	const char *response_url;
	const char *stack_id;
	const char *request_id;
	const char *logical_id;
	/* The rest: NULL (or UNKNOWN) when absent or wrong, with the reason in defect. */
	const char *request_type_name;
	enum vp_cfn_request_type request_type;
	const char *resource_type;
	enum vp_cfn_resource resource;
	const char *physical_id; /* Update and Delete */
	json_t *properties;      /* borrowed from doc; an object (empty when absent) */
	json_t *old_properties;  /* borrowed; NULL unless given */
	struct vp_error defect;  /* VP_OK, or why the request is answered FAILED */
};

/*
 * Parse a request of at most VP_CFN_EVENT_MAX bytes. VP_ERR_INVALID when it
 * is not a JSON object or lacks (or has malformed) ResponseURL (http(s)://,
 * at most VP_CFN_URL_MAX), StackId, RequestId or LogicalResourceId (printable
 * ASCII within their limits): then nobody can be answered and *ev is
 * untouched. Unknown top-level fields (ServiceToken, ServiceTimeout...) are
 * ignored.
 */
VP_NODISCARD vp_code vp_cfn_event_parse(const char *text, size_t len, struct vp_cfn_event *ev,
					struct vp_error *err);
void vp_cfn_event_cleanup(struct vp_cfn_event *ev);

/* "Create", "Update", "Delete". */
const char *vp_cfn_request_type_name(enum vp_cfn_request_type t);

/* What both resource types take to reach the broker. */
struct vp_cfn_broker_props {
	char broker_url[VP_CFN_BROKER_URL_MAX + 1];
	char server_id[256]; /* "" when not given: the broker URL's host:port */
};

/*
 * Who accepts the peering (property PeeringAccepter, the broker's
 * --peering-accepter): the broker, after its checks (the handler then makes
 * the peering request), or the client through the hub's peer role (the
 * template's AWS::EC2::VPCPeeringConnection with PeerRoleArn).
 */
enum vp_cfn_accepter {
	VP_CFN_ACCEPTER_UNSET = 0,
	VP_CFN_ACCEPTER_BROKER,
	VP_CFN_ACCEPTER_PEER_ROLE
};

/* "broker", "peer-role" ("" for UNSET). */
const char *vp_cfn_accepter_name(enum vp_cfn_accepter a);

/* Subnet keys of a registration's Data: SubnetACidrBlock .. SubnetZCidrBlock. */
#define VP_CFN_SUBNET_KEYS_MAX 26

/*
 * Custom::PeeringRegistration: BrokerUrl, ServerId, ClientRef, PeeringAccepter,
 * SubnetCount (1..VP_CFN_SUBNET_KEYS_MAX: the subnet keys the template reads
 * with Fn::GetAtt, checked at Create against the broker's plan).
 */
struct vp_cfn_registration_props {
	struct vp_cfn_broker_props broker;
	char client_ref[VP_CLIENT_REF_MAX + 1]; /* the property, or the default */
	bool client_ref_given;
	enum vp_cfn_accepter accepter; /* UNSET when not given: no cross-check */
	int subnet_count;              /* SubnetCount: the plan must have this many; 0: not given */
};

/*
 * Custom::PeeringConfirmation: BrokerUrl, ServerId, NamespaceId, VpcId,
 * HealthCheck with ProbeFunction, PeeringAccepter (absent: peer-role), and
 *   peer-role mode: VpcPeeringConnectionId (required);
 *   broker mode: PeerVpcId, PeerOwnerId, PeerRegion (the handler requests the
 *   peering; HealthCheck refused, the client's routes are not there yet), or
 *   VpcPeeringConnectionId (that peering is confirmed, as in peer-role mode).
 */
struct vp_cfn_confirmation_props {
	struct vp_cfn_broker_props broker;
	int64_t namespace_id;
	enum vp_cfn_accepter accepter;      /* BROKER or PEER_ROLE, never UNSET */
	char peering_id[VP_AWS_ID_MAX + 1]; /* "" in broker mode */
	char vpc_id[VP_AWS_ID_MAX + 1];
	char peer_vpc_id[VP_AWS_ID_MAX + 1];        /* broker mode */
	char peer_owner_id[VP_IDS_ACCOUNT_LEN + 1]; /* broker mode */
	char peer_region[32];                       /* broker mode */
	/* HealthCheck: probe targets, comma-separated (cfn/probe_mode.h), checked; "" when none.
	 * ProbeFunction: the function that probes them from the VPC (required with them). */
	char health_check[VP_CFN_HEALTH_CHECK_MAX + 1];
	int health_count;
	char probe_function[VP_CFN_PROBE_FUNCTION_MAX + 1];
};

/*
 * Parse the properties (ResourceProperties, or `props` when not NULL) of a
 * resource. VP_ERR_INVALID names the property: "property BrokerUrl is
 * required", "property VpcId: ...". Optional properties given as "" count as
 * absent (the !If/AWS::NoValue idiom's other branch). On failure *out is
 * untouched.
 */
VP_NODISCARD vp_code vp_cfn_registration_props_parse(const struct vp_cfn_event *ev,
						     const json_t *props,
						     struct vp_cfn_registration_props *out,
						     struct vp_error *err);
VP_NODISCARD vp_code vp_cfn_confirmation_props_parse(const struct vp_cfn_event *ev,
						     const json_t *props,
						     struct vp_cfn_confirmation_props *out,
						     struct vp_error *err);

/*
 * The transit-gateway mode's confirmation (issue 16; property AttachMode
 * "transit-gateway"), besides the broker-mode properties above:
 * TransitGatewayId (required), ResourceShareArn (optional), SubnetIds (a list,
 * or a comma-separated string; 1..VP_CFN_MAX_SUBNETS subnet ids, one per
 * Availability Zone). VP_ERR_INVALID names the property; *out untouched then.
 */
#define VP_CFN_MAX_SUBNETS   32 /* CreateTransitGatewayVpcAttachment's bound, ours */
#define VP_CFN_SHARE_ARN_MAX 256
struct vp_cfn_tgw_props {
	char tgw_id[VP_AWS_ID_MAX + 1];
	char share_arn[VP_CFN_SHARE_ARN_MAX + 1]; /* "" when not given */
	char subnets[VP_CFN_MAX_SUBNETS][VP_AWS_ID_MAX + 1];
	size_t subnet_count;
};
VP_NODISCARD vp_code vp_cfn_tgw_props_parse(const struct vp_cfn_event *ev, const json_t *props,
					    struct vp_cfn_tgw_props *out, struct vp_error *err);

/*
 * The default client reference of a registration: "<StackId>/<LogicalResourceId>",
 * or, when that is not a valid client reference (longer than
 * VP_CLIENT_REF_MAX, or with a blank), "cfn-sha256:" and the SHA-256 of it in hex. Deterministic:
 * the same resource always gets the same.
 */
void vp_cfn_default_client_ref(const char *stack_id, const char *logical_id,
			       char out[VP_CLIENT_REF_MAX + 1]);

#endif
