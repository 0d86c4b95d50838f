/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EC2 transit gateways (Query API): the transit gateway, its VPC attachments
 * (created by the client's account, accepted by the owner's when the gateway
 * is shared and auto-accept is off), route-table associations and static
 * routes, and SearchTransitGatewayRoutes. The route in a VPC route table to a
 * transit gateway is vp_aws_ec2_create_route with target.transit_gateway_id.
 *
 * Elements the EC2 API reference documents as optional are optional here
 * (NULL or 0 when absent); only the ids that name the object are required.
 * Results are the caller's: free them with their _free (NULL is a no-op).
 */
#ifndef VP_AWS_EC2_TGW_H
#define VP_AWS_EC2_TGW_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/ec2.h"
#include "aws/error.h"

struct vp_aws_client;

/*
 * SearchTransitGatewayRoutes: MaxResults 5..1000, no NextToken (EC2 API
 * reference). A full answer may have been cut: the list says `truncated`.
 */
#define VP_AWS_TGW_SEARCH_MAX 1000
/* CreateTransitGatewayVpcAttachment: "You can specify only one subnet per Availability Zone". */
#define VP_AWS_TGW_MAX_SUBNETS 32

struct vp_aws_tgw {
	char *transit_gateway_id;
	char *owner_id;
	char *state; /* "pending", "available", "modifying", "deleting", "deleted" */
	char *association_default_route_table_id; /* may be NULL */
	char *propagation_default_route_table_id; /* may be NULL */
	bool auto_accept_shared_attachments;      /* options/autoAcceptSharedAttachments */
	bool default_route_table_association;     /* options/defaultRouteTableAssociation */
	struct vp_aws_ec2_tags tags;
};

struct vp_aws_tgw_list {
	struct vp_aws_tgw *items;
	size_t count;
};

struct vp_aws_tgw_attachment {
	char *attachment_id; /* tgw-attach-... */
	char *transit_gateway_id;
	char *vpc_id;
	char *vpc_owner_id;
	/* "initiating", "pendingAcceptance", "pending", "available", "modifying", "deleting",
	 * "deleted", "failed", "rejected", "rejecting", "failing" */
	char *state;
	char **subnet_ids;
	size_t subnet_count;
	struct vp_aws_ec2_tags tags;
};

struct vp_aws_tgw_attachment_list {
	struct vp_aws_tgw_attachment *items;
	size_t count;
};

struct vp_aws_tgw_association {
	char *route_table_id;
	char *attachment_id;
	char *resource_id;   /* may be NULL */
	char *resource_type; /* "vpc", ...; may be NULL */
	char *state;         /* "associating", "associated", "disassociating", "disassociated" */
};

struct vp_aws_tgw_association_list {
	struct vp_aws_tgw_association *items;
	size_t count;
};

struct vp_aws_tgw_route {
	char *destination_cidr_block; /* NULL for a prefix-list route */
	char *prefix_list_id;         /* may be NULL */
	char *state;                  /* "active", "blackhole", "pending", "deleting", "deleted" */
	char *type;                   /* "static", "propagated" */
	char *attachment_id;          /* the first of transitGatewayAttachments; may be NULL */
	char *resource_id;            /* its resource (the VPC); may be NULL */
};

struct vp_aws_tgw_route_list {
	struct vp_aws_tgw_route *items;
	size_t count;
	/* 1000 routes came back or additionalRoutesAvailable: narrow the filters. */
	bool truncated;
};

void vp_aws_tgw_list_free(struct vp_aws_tgw_list *list);
void vp_aws_tgw_attachment_free(struct vp_aws_tgw_attachment *attachment);
void vp_aws_tgw_attachment_list_free(struct vp_aws_tgw_attachment_list *list);
void vp_aws_tgw_association_free(struct vp_aws_tgw_association *association);
void vp_aws_tgw_association_list_free(struct vp_aws_tgw_association_list *list);
void vp_aws_tgw_route_free(struct vp_aws_tgw_route *route);
void vp_aws_tgw_route_list_free(struct vp_aws_tgw_route_list *list);

/* DescribeTransitGateways (every page). q: TransitGatewayIds.N and filters. */
VP_NODISCARD vp_code vp_aws_ec2_describe_transit_gateways(struct vp_aws_client *client,
							  const struct vp_aws_ec2_query *q,
							  struct vp_aws_tgw_list **out,
							  struct vp_aws_error *err);

/*
 * DescribeTransitGatewayVpcAttachments (every page). q: TransitGatewayAttachmentIds.N
 * and filters such as "transit-gateway-id", "vpc-id", "state", "tag:<key>".
 */
VP_NODISCARD vp_code vp_aws_ec2_describe_tgw_vpc_attachments(
	struct vp_aws_client *client, const struct vp_aws_ec2_query *q,
	struct vp_aws_tgw_attachment_list **out, struct vp_aws_error *err);

struct vp_aws_tgw_attachment_request {
	const char *transit_gateway_id;
	const char *vpc_id;
	const char *const *subnet_ids; /* one per Availability Zone, 1..VP_AWS_TGW_MAX_SUBNETS */
	size_t subnet_count;
	const struct vp_aws_ec2_tag *tags; /* TagSpecifications on the attachment; may be NULL */
	size_t tag_count;
};

/* CreateTransitGatewayVpcAttachment (the VPC owner's call). *out may be NULL when not wanted. */
VP_NODISCARD vp_code vp_aws_ec2_create_tgw_vpc_attachment(
	struct vp_aws_client *client, const struct vp_aws_tgw_attachment_request *req,
	struct vp_aws_tgw_attachment **out, struct vp_aws_error *err);

/* Accept / Reject (the gateway owner's calls) and Delete; *out may be NULL. */
VP_NODISCARD vp_code vp_aws_ec2_accept_tgw_vpc_attachment(struct vp_aws_client *client,
							  const char *attachment_id,
							  struct vp_aws_tgw_attachment **out,
							  struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_reject_tgw_vpc_attachment(struct vp_aws_client *client,
							  const char *attachment_id,
							  struct vp_aws_tgw_attachment **out,
							  struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_delete_tgw_vpc_attachment(struct vp_aws_client *client,
							  const char *attachment_id,
							  struct vp_aws_tgw_attachment **out,
							  struct vp_aws_error *err);

/* Associate / Disassociate an attachment with a transit gateway route table; *out may be NULL. */
VP_NODISCARD vp_code vp_aws_ec2_associate_tgw_route_table(struct vp_aws_client *client,
							  const char *route_table_id,
							  const char *attachment_id,
							  struct vp_aws_tgw_association **out,
							  struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_disassociate_tgw_route_table(struct vp_aws_client *client,
							     const char *route_table_id,
							     const char *attachment_id,
							     struct vp_aws_tgw_association **out,
							     struct vp_aws_error *err);

/*
 * Enable / Disable the propagation of an attachment's routes (a VPC's CIDR
 * blocks) into a transit gateway route table; *out (the <propagation>, same
 * members as an association) may be NULL.
 */
VP_NODISCARD vp_code vp_aws_ec2_enable_tgw_propagation(struct vp_aws_client *client,
						       const char *route_table_id,
						       const char *attachment_id,
						       struct vp_aws_tgw_association **out,
						       struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_disable_tgw_propagation(struct vp_aws_client *client,
							const char *route_table_id,
							const char *attachment_id,
							struct vp_aws_tgw_association **out,
							struct vp_aws_error *err);

/*
 * GetTransitGatewayRouteTableAssociations of route_table_id: one page (MaxResults 5, the
 * least AWS allows); *more says a NextToken came (more associations may exist).
 */
VP_NODISCARD vp_code vp_aws_ec2_get_tgw_table_associations(struct vp_aws_client *client,
							   const char *route_table_id,
							   struct vp_aws_tgw_association_list **out,
							   bool *more, struct vp_aws_error *err);

/*
 * A static route in a transit gateway route table: to `attachment_id`, or a
 * blackhole when attachment_id is NULL. *out may be NULL.
 */
VP_NODISCARD vp_code vp_aws_ec2_create_tgw_route(struct vp_aws_client *client,
						 const char *route_table_id, const char *cidr,
						 const char *attachment_id,
						 struct vp_aws_tgw_route **out,
						 struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_delete_tgw_route(struct vp_aws_client *client,
						 const char *route_table_id, const char *cidr,
						 struct vp_aws_tgw_route **out,
						 struct vp_aws_error *err);

/*
 * SearchTransitGatewayRoutes: filters are required ("type", "state",
 * "route-search.exact-match", "attachment.transit-gateway-attachment-id", ...).
 * One call, MaxResults 1000; (*out)->truncated says whether more exist.
 */
VP_NODISCARD vp_code vp_aws_ec2_search_tgw_routes(struct vp_aws_client *client,
						  const char *route_table_id,
						  const struct vp_aws_ec2_filter *filters,
						  size_t filter_count,
						  struct vp_aws_tgw_route_list **out,
						  struct vp_aws_error *err);

/* Parsers of one answer (fuzzed). *list grows (allocated on first use); *next as in ec2.h. */
VP_NODISCARD vp_code vp_aws_ec2_parse_transit_gateways(const char *body, size_t len,
						       struct vp_aws_tgw_list **list,
						       char **next_token, struct vp_error *err);
VP_NODISCARD vp_code vp_aws_ec2_parse_tgw_attachments(const char *body, size_t len,
						      struct vp_aws_tgw_attachment_list **list,
						      char **next_token, struct vp_error *err);
/* The single <transitGatewayVpcAttachment> of Create/Accept/Reject/Delete. */
VP_NODISCARD vp_code vp_aws_ec2_parse_tgw_attachment(const char *body, size_t len,
						     struct vp_aws_tgw_attachment **out,
						     struct vp_error *err);
/* The <association> of Associate/DisassociateTransitGatewayRouteTable. */
VP_NODISCARD vp_code vp_aws_ec2_parse_tgw_association(const char *body, size_t len,
						      struct vp_aws_tgw_association **out,
						      struct vp_error *err);
/* GetTransitGatewayRouteTableAssociations' <associations> (a page). */
VP_NODISCARD vp_code vp_aws_ec2_parse_tgw_associations(const char *body, size_t len,
						       struct vp_aws_tgw_association_list **list,
						       char **next_token, struct vp_error *err);
/* The <propagation> of Enable/DisableTransitGatewayRouteTablePropagation. */
VP_NODISCARD vp_code vp_aws_ec2_parse_tgw_propagation(const char *body, size_t len,
						      struct vp_aws_tgw_association **out,
						      struct vp_error *err);
/* The <route> of Create/DeleteTransitGatewayRoute. */
VP_NODISCARD vp_code vp_aws_ec2_parse_tgw_route(const char *body, size_t len,
						struct vp_aws_tgw_route **out,
						struct vp_error *err);
/* SearchTransitGatewayRoutes' <routeSet> and <additionalRoutesAvailable>. */
VP_NODISCARD vp_code vp_aws_ec2_parse_tgw_routes(const char *body, size_t len,
						 struct vp_aws_tgw_route_list **out,
						 struct vp_error *err);

#endif
