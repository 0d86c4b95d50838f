/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route 53 (API 2013-04-01), the first REST-XML service: the requests and
 * answers of the private hosted zone's VPC associations (issue 19).
 *
 * Building a request (method, path, XML body) and reading an answer are pure
 * (fuzzed); the calls send them with vp_aws_client_rest() (signing name
 * "route53", the global endpoint https://route53.amazonaws.com signed for
 * us-east-1, or AWS_ENDPOINT_URL_ROUTE_53 / AWS_ENDPOINT_URL; endpoint.h).
 *
 * Wire facts (Route 53 API Reference, "Actions",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Amazon_Route_53.html):
 *   GetHostedZone                      GET  /2013-04-01/hostedzone/{Id}
 *   CreateVPCAssociationAuthorization  POST /2013-04-01/hostedzone/{Id}/authorizevpcassociation
 *   ListVPCAssociationAuthorizations   GET  /2013-04-01/hostedzone/{Id}/authorizevpcassociation
 *                                           [?nexttoken=..]
 *   DeleteVPCAssociationAuthorization  POST /2013-04-01/hostedzone/{Id}/deauthorizevpcassociation
 *   AssociateVPCWithHostedZone         POST /2013-04-01/hostedzone/{Id}/associatevpc
 *   DisassociateVPCFromHostedZone      POST /2013-04-01/hostedzone/{Id}/disassociatevpc
 * POST bodies are <{Action}Request xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
 * <VPC><VPCRegion/><VPCId/></VPC></{Action}Request>. Errors come as
 * <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>,
 * which vp_aws_error_parse() already reads; vp_aws_route53_error_map() maps
 * the Route 53 codes.
 *
 * Results are the caller's: free them with their _free (NULL is a no-op).
 */
#ifndef VP_AWS_ROUTE53_H
#define VP_AWS_ROUTE53_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define VP_AWS_ROUTE53_VERSION "2013-04-01"
#define VP_AWS_ROUTE53_XMLNS   "https://route53.amazonaws.com/doc/2013-04-01/"
/* Route 53 is global: signed for us-east-1 in the aws partition. */
#define VP_AWS_ROUTE53_SIGNING_NAME   "route53"
#define VP_AWS_ROUTE53_SIGNING_REGION "us-east-1"
#define VP_AWS_ROUTE53_HOST           "route53.amazonaws.com"

/* HostedZoneId: "Maximum length of 32" (API Reference, GetHostedZone). */
#define VP_AWS_ROUTE53_ZONE_MAX 33
/* A hosted zone may have up to 300 VPC associations by default (Route 53 quotas). */
#define VP_AWS_ROUTE53_MAX_VPCS 1000

/* nexttoken: "Maximum length of 1024", URL-escaped up to 3 times that. */
#define VP_AWS_ROUTE53_PATH_MAX 3200
#define VP_AWS_ROUTE53_BODY_MAX 1024

enum vp_aws_route53_op {
	VP_R53_GET_HOSTED_ZONE,
	VP_R53_CREATE_AUTHORIZATION,
	VP_R53_LIST_AUTHORIZATIONS,
	VP_R53_DELETE_AUTHORIZATION,
	VP_R53_ASSOCIATE,
	VP_R53_DISASSOCIATE,
	VP_R53_OP_COUNT
};

/* The action's name ("AssociateVPCWithHostedZone"), for messages. */
const char *vp_aws_route53_action(enum vp_aws_route53_op op);

struct vp_aws_route53_request {
	const char *method; /* "GET" or "POST" */
	char path[VP_AWS_ROUTE53_PATH_MAX];
	char body[VP_AWS_ROUTE53_BODY_MAX]; /* "" for GET */
	size_t body_len;
};

/*
 * Normalise a hosted zone id: "Z0123..." or "/hostedzone/Z0123..." gives
 * "Z0123..." in out. VP_ERR_INVALID naming the value when it is not
 * 1 to 32 upper-case letters and digits.
 */
VP_NODISCARD vp_code vp_aws_route53_zone_id(const char *in, char out[VP_AWS_ROUTE53_ZONE_MAX],
					    struct vp_error *err);

/*
 * Build one request. zone_id is normalised; vpc_region and vpc_id are needed
 * by the authorization and association calls (NULL otherwise); next_token
 * only for VP_R53_LIST_AUTHORIZATIONS (NULL: the first page); comment only
 * for VP_R53_ASSOCIATE and VP_R53_DISASSOCIATE (NULL: none). Values are
 * checked (VPC id "vpc-" + hex, region [a-z0-9-]) and XML- or URL-escaped.
 */
VP_NODISCARD vp_code vp_aws_route53_build(enum vp_aws_route53_op op, const char *zone_id,
					  const char *vpc_region, const char *vpc_id,
					  const char *next_token, const char *comment,
					  struct vp_aws_route53_request *out, struct vp_error *err);

struct vp_aws_route53_vpc {
	char *region;
	char *vpc_id;
};

struct vp_aws_route53_vpcs {
	struct vp_aws_route53_vpc *items;
	size_t count;
};

struct vp_aws_hosted_zone {
	char *id; /* normalised: "Z..." */
	char *name;
	bool private_zone;
	struct vp_aws_route53_vpcs vpcs; /* the associated VPCs (private zones) */
};

void vp_aws_route53_vpcs_free(struct vp_aws_route53_vpcs *list);
void vp_aws_hosted_zone_free(struct vp_aws_hosted_zone *zone);

/* Whether the list holds this VPC (region compared too when region is not NULL). */
bool vp_aws_route53_vpcs_has(const struct vp_aws_route53_vpcs *list, const char *region,
			     const char *vpc_id);

/* GetHostedZoneResponse. */
VP_NODISCARD vp_code vp_aws_route53_parse_hosted_zone(const char *body, size_t len,
						      struct vp_aws_hosted_zone **out,
						      struct vp_error *err);

/*
 * ListVPCAssociationAuthorizationsResponse: the VPCs are appended to *list
 * (allocated on first use); *next_token is the NextToken or NULL (may be a
 * NULL pointer when not wanted).
 */
VP_NODISCARD vp_code vp_aws_route53_parse_authorizations(const char *body, size_t len,
							 struct vp_aws_route53_vpcs **list,
							 char **next_token, struct vp_error *err);

/*
 * The ChangeInfo of AssociateVPCWithHostedZone / DisassociateVPCFromHostedZone:
 * *insync is true for INSYNC, false for PENDING; another status is refused.
 * change_id may be NULL.
 */
VP_NODISCARD vp_code vp_aws_route53_parse_change(const char *body, size_t len, char **change_id,
						 bool *insync, struct vp_error *err);

/*
 * The vp code of a Route 53 error code: NoSuchHostedZone,
 * VPCAssociationNotFound, VPCAssociationAuthorizationNotFound -> NOT_FOUND;
 * NotAuthorizedException -> FORBIDDEN; ConflictingDomainExists,
 * ConcurrentModification, LastVPCAssociation, PublicZoneVPCAssociation ->
 * CONFLICT; TooManyVPCAssociationAuthorizations, LimitsExceeded -> EXHAUSTED;
 * PriorRequestNotComplete, Throttling -> UNAVAILABLE (retried); InvalidVPCId,
 * InvalidInput, InvalidPaginationToken -> INVALID; others as
 * vp_aws_error_map().
 */
VP_NODISCARD vp_code vp_aws_route53_error_map(const char *aws_code, long http_status);

struct vp_aws_client;
struct vp_aws_error;

/* GetHostedZone (VP_ERR_NOT_FOUND: NoSuchHostedZone). */
VP_NODISCARD vp_code vp_aws_route53_get_hosted_zone(struct vp_aws_client *client,
						    const char *zone_id,
						    struct vp_aws_hosted_zone **out,
						    struct vp_aws_error *err);

/*
 * One authorization or association call (op: CREATE_AUTHORIZATION,
 * DELETE_AUTHORIZATION, ASSOCIATE, DISASSOCIATE) for a VPC. err->code holds
 * Route 53's code; the return is vp_aws_route53_error_map()'s.
 */
VP_NODISCARD vp_code vp_aws_route53_vpc_call(struct vp_aws_client *client,
					     enum vp_aws_route53_op op, const char *zone_id,
					     const char *vpc_region, const char *vpc_id,
					     struct vp_aws_error *err);

/* Every page of ListVPCAssociationAuthorizations. */
VP_NODISCARD vp_code vp_aws_route53_list_authorizations(struct vp_aws_client *client,
							const char *zone_id,
							struct vp_aws_route53_vpcs **out,
							struct vp_aws_error *err);

#endif
