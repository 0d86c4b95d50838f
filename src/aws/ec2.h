/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EC2: VPCs, route tables and routes, VPC peering connections.
 *
 * The Describe calls follow nextToken until the last page (MaxResults is the
 * client's ec2_page_size when no ids are given; EC2 refuses MaxResults with
 * ids) and return one list. Results are heap objects owned by the caller,
 * freed with their _free (NULL is a no-op); strings absent from the answer
 * are NULL.
 *
 * Repeating is safe, so retries are too: CreateRoute that meets
 * RouteAlreadyExists checks the table (DescribeRouteTables) and counts as
 * done when the existing route has the same target and is not a blackhole;
 * DeleteRoute of a route that is not there (InvalidRoute.NotFound) counts as
 * done.
 */
#ifndef VP_AWS_EC2_H
#define VP_AWS_EC2_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/error.h"

struct vp_aws_client;

/* Limits on what one answer may hold; more is refused as malformed. */
#define VP_AWS_EC2_MAX_ITEMS 100000
#define VP_AWS_EC2_MAX_PAGES 1000
#define VP_AWS_EC2_MAX_QUERY 200 /* ids, filters, values per filter */
#define VP_AWS_EC2_MAX_TAGS  50  /* tags per resource (EC2's quota) */

struct vp_aws_ec2_tag {
	char *key;
	char *value;
};

struct vp_aws_ec2_tags {
	struct vp_aws_ec2_tag *items;
	size_t count;
};

/* The value of tag `key`, or NULL. */
const char *vp_aws_ec2_tag(const struct vp_aws_ec2_tags *tags, const char *key);

struct vp_aws_ec2_vpc {
	char *vpc_id;
	char *state; /* "pending", "available" */
	char *cidr_block;
	char *owner_id;
	bool is_default;
	struct vp_aws_ec2_tags tags;
};

struct vp_aws_ec2_vpc_list {
	struct vp_aws_ec2_vpc *items;
	size_t count;
};

struct vp_aws_ec2_route {
	char *destination_cidr_block; /* NULL for IPv6 or prefix-list routes */
	char *vpc_peering_connection_id;
	char *gateway_id; /* "local", "igw-..." */
	char *transit_gateway_id;
	char *nat_gateway_id;
	char *network_interface_id;
	char *state;  /* "active", "blackhole" */
	char *origin; /* "CreateRouteTable", "CreateRoute", "EnableVgwRoutePropagation" */
};

struct vp_aws_ec2_association {
	char *association_id;
	char *subnet_id;
	char *gateway_id; /* an edge association (igw-, vgw-): a gateway route table */
	bool main;
};

struct vp_aws_ec2_route_table {
	char *route_table_id;
	char *vpc_id;
	char *owner_id;
	struct vp_aws_ec2_route *routes;
	size_t route_count;
	struct vp_aws_ec2_association *associations;
	size_t association_count;
	struct vp_aws_ec2_tags tags;
};

struct vp_aws_ec2_route_table_list {
	struct vp_aws_ec2_route_table *items;
	size_t count;
};

/*
 * One side of a peering. AWS returns the CIDR blocks only for an active
 * peering ("CIDR block information is only returned when describing an active
 * VPC peering connection", EC2 API reference, VpcPeeringConnectionVpcInfo):
 * cidr_block NULL and cidr_block_count 0 are normal before that.
 */
struct vp_aws_ec2_vpc_info {
	char *owner_id;
	char *vpc_id;
	char *cidr_block;   /* the VPC's primary IPv4 block */
	char **cidr_blocks; /* cidrBlockSet: every IPv4 block, the primary included */
	size_t cidr_block_count;
	size_t ipv6_cidr_block_count; /* ipv6CidrBlockSet's items (only counted) */
	char *region;
};

struct vp_aws_ec2_peering {
	char *vpc_peering_connection_id;
	struct vp_aws_ec2_vpc_info requester;
	struct vp_aws_ec2_vpc_info accepter;
	char *status_code; /* "pending-acceptance", "active", "deleted", ... */
	char *status_message;
	char *expiration_time;
	struct vp_aws_ec2_tags tags;
};

struct vp_aws_ec2_peering_list {
	struct vp_aws_ec2_peering *items;
	size_t count;
};

void vp_aws_ec2_vpc_list_free(struct vp_aws_ec2_vpc_list *list);
void vp_aws_ec2_route_table_list_free(struct vp_aws_ec2_route_table_list *list);
void vp_aws_ec2_peering_list_free(struct vp_aws_ec2_peering_list *list);
void vp_aws_ec2_peering_free(struct vp_aws_ec2_peering *peering);

/* A filter: Filter.N.Name = name, Filter.N.Value.M = values[M-1]. */
struct vp_aws_ec2_filter {
	const char *name;
	const char *const *values;
	size_t value_count;
};

/* What to describe: ids and/or filters (both may be empty: everything). */
struct vp_aws_ec2_query {
	const char *const *ids;
	size_t id_count;
	const struct vp_aws_ec2_filter *filters;
	size_t filter_count;
};

VP_NODISCARD vp_code vp_aws_ec2_describe_vpcs(struct vp_aws_client *client,
					      const struct vp_aws_ec2_query *q,
					      struct vp_aws_ec2_vpc_list **out,
					      struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_describe_route_tables(struct vp_aws_client *client,
						      const struct vp_aws_ec2_query *q,
						      struct vp_aws_ec2_route_table_list **out,
						      struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_describe_vpc_peering_connections(
	struct vp_aws_client *client, const struct vp_aws_ec2_query *q,
	struct vp_aws_ec2_peering_list **out, struct vp_aws_error *err);

/* Exactly one target. */
struct vp_aws_ec2_route_target {
	const char *vpc_peering_connection_id;
	const char *gateway_id;
	const char *transit_gateway_id;
	const char *nat_gateway_id;
	const char *network_interface_id;
};

VP_NODISCARD vp_code vp_aws_ec2_create_route(struct vp_aws_client *client,
					     const char *route_table_id,
					     const char *destination_cidr_block,
					     const struct vp_aws_ec2_route_target *target,
					     struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_replace_route(struct vp_aws_client *client,
					      const char *route_table_id,
					      const char *destination_cidr_block,
					      const struct vp_aws_ec2_route_target *target,
					      struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_delete_route(struct vp_aws_client *client,
					     const char *route_table_id,
					     const char *destination_cidr_block,
					     struct vp_aws_error *err);

/* *out (may be NULL when not wanted) is the connection as EC2 answered. */
VP_NODISCARD vp_code vp_aws_ec2_accept_vpc_peering_connection(struct vp_aws_client *client,
							      const char *vpc_peering_connection_id,
							      struct vp_aws_ec2_peering **out,
							      struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ec2_delete_vpc_peering_connection(struct vp_aws_client *client,
							      const char *vpc_peering_connection_id,
							      struct vp_aws_error *err);
/* The accepter turns a pending-acceptance request down (only the accepter VPC's owner may). */
VP_NODISCARD vp_code vp_aws_ec2_reject_vpc_peering_connection(struct vp_aws_client *client,
							      const char *vpc_peering_connection_id,
							      struct vp_aws_error *err);

/* A peering request from the caller's VPC (ec2_peering.c). */
struct vp_aws_ec2_peering_request {
	const char *vpc_id;                /* the requester's VPC, in the caller's account */
	const char *peer_vpc_id;           /* the accepter's VPC */
	const char *peer_owner_id;         /* NULL: the caller's account */
	const char *peer_region;           /* NULL: the client's region */
	const struct vp_aws_ec2_tag *tags; /* TagSpecification on the peering; may be NULL */
	size_t tag_count;
};

/* *out (may be NULL) gets the new peering, usually pending-acceptance. */
VP_NODISCARD vp_code vp_aws_ec2_create_vpc_peering_connection(
	struct vp_aws_client *client, const struct vp_aws_ec2_peering_request *req,
	struct vp_aws_ec2_peering **out, struct vp_aws_error *err);

/* CreateTags on one resource (keys and values must be non-NULL; adds or overwrites). */
VP_NODISCARD vp_code vp_aws_ec2_create_tags(struct vp_aws_client *client, const char *resource_id,
					    const struct vp_aws_ec2_tag *tags, size_t count,
					    struct vp_aws_error *err);

/*
 * Parsers of one page: items are appended to *list (allocated on first use)
 * and *next_token (may be NULL) is the page's nextToken (free(); NULL on the
 * last page). On failure *list keeps what it had.
 */
VP_NODISCARD vp_code vp_aws_ec2_parse_vpcs(const char *body, size_t len,
					   struct vp_aws_ec2_vpc_list **list, char **next_token,
					   struct vp_error *err);
VP_NODISCARD vp_code vp_aws_ec2_parse_route_tables(const char *body, size_t len,
						   struct vp_aws_ec2_route_table_list **list,
						   char **next_token, struct vp_error *err);
VP_NODISCARD vp_code vp_aws_ec2_parse_peerings(const char *body, size_t len,
					       struct vp_aws_ec2_peering_list **list,
					       char **next_token, struct vp_error *err);
/* The answer of AcceptVpcPeeringConnection and CreateVpcPeeringConnection. */
VP_NODISCARD vp_code vp_aws_ec2_parse_accept(const char *body, size_t len,
					     struct vp_aws_ec2_peering **out, struct vp_error *err);
/*
 * <return>true</return> answers: false is VP_ERR_AWS; a missing <return> is
 * VP_ERR_INVALID when `required` (CreateRoute, DeleteVpcPeeringConnection),
 * fine otherwise (ReplaceRoute and DeleteRoute have no output in EC2's model).
 */
VP_NODISCARD vp_code vp_aws_ec2_parse_return(const char *body, size_t len, bool required,
					     struct vp_error *err);

#endif
