/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EC2 managed prefix lists (DescribeManagedPrefixLists, GetManagedPrefixListEntries,
 * ModifyManagedPrefixList), the accepter-side peering options
 * (ModifyVpcPeeringConnectionOptions) and the VPC's DNS attributes: the hub
 * side of a peering beyond its routes.
 *
 * Writes name the version they were computed from (CurrentVersion): "If you
 * specify a current version number that does not match the true current
 * version number, the request fails" (EC2 API reference,
 * ModifyManagedPrefixList). Such a refusal is VP_ERR_CONFLICT, so the caller
 * reads the list again and retries. Results are the caller's: free them with
 * their _free (NULL is a no-op).
 */
#ifndef VP_AWS_EC2_PREFIX_LIST_H
#define VP_AWS_EC2_PREFIX_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/error.h"

struct vp_aws_client;

/* AddEntry.N and RemoveEntry.N: "Maximum number of 100 items" per call. */
#define VP_AWS_PL_MAX_CHANGES 100
/* A customer-managed list holds at most 1000 entries (VPC quotas, "Prefix lists"). */
#define VP_AWS_PL_MAX_ENTRIES 1000

struct vp_aws_prefix_list {
	char *prefix_list_id;
	char *state; /* "create-complete", "modify-in-progress", "modify-complete", ... */
	char *owner_id;
	int64_t version;
	int64_t max_entries;
};

struct vp_aws_prefix_entry {
	char *cidr;
	char *description; /* may be NULL */
};

struct vp_aws_prefix_entries {
	struct vp_aws_prefix_entry *items;
	size_t count;
};

void vp_aws_prefix_list_free(struct vp_aws_prefix_list *list);
void vp_aws_prefix_entries_free(struct vp_aws_prefix_entries *entries);

/* The list's header (VP_ERR_NOT_FOUND when EC2 does not know it). */
VP_NODISCARD vp_code vp_aws_ec2_describe_prefix_list(struct vp_aws_client *client, const char *id,
						     struct vp_aws_prefix_list **out,
						     struct vp_aws_error *err);

/* The entries of `version` (every page). */
VP_NODISCARD vp_code vp_aws_ec2_get_prefix_list_entries(struct vp_aws_client *client,
							const char *id, int64_t version,
							struct vp_aws_prefix_entries **out,
							struct vp_aws_error *err);

struct vp_aws_prefix_add {
	const char *cidr;
	const char *description; /* NULL: none */
};

/* One version-checked change: at most VP_AWS_PL_MAX_CHANGES adds and removes each. */
struct vp_aws_prefix_change {
	const char *id;
	int64_t current_version;
	const struct vp_aws_prefix_add *add;
	size_t add_count;
	const char *const *remove; /* CIDRs */
	size_t remove_count;
};

/*
 * ModifyManagedPrefixList. VP_ERR_CONFLICT when the list moved on (another
 * version, or a modification still in progress): read it again and retry.
 */
VP_NODISCARD vp_code vp_aws_ec2_modify_prefix_list(struct vp_aws_client *client,
						   const struct vp_aws_prefix_change *change,
						   struct vp_aws_error *err);

/*
 * The accepter's side of an active peering: AllowDnsResolutionFromRemoteVpc
 * (instances in the requester VPC resolve the accepter VPC's public DNS
 * hostnames to private addresses). Only the accepter VPC's owner may set it.
 */
VP_NODISCARD vp_code vp_aws_ec2_allow_peering_dns(struct vp_aws_client *client, const char *pcx,
						  bool allow, struct vp_aws_error *err);

/* DescribeVpcAttribute: `attribute` ("enableDnsHostnames", "enableDnsSupport") of a VPC. */
VP_NODISCARD vp_code vp_aws_ec2_vpc_attribute(struct vp_aws_client *client, const char *vpc,
					      const char *attribute, bool *on,
					      struct vp_aws_error *err);

/* Parsers of one answer (fuzzed). *list grows (allocated on first use); *next as in ec2.h. */
VP_NODISCARD vp_code vp_aws_ec2_parse_prefix_list(const char *body, size_t len,
						  struct vp_aws_prefix_list **out,
						  struct vp_error *err);
VP_NODISCARD vp_code vp_aws_ec2_parse_prefix_entries(const char *body, size_t len,
						     struct vp_aws_prefix_entries **list,
						     char **next_token, struct vp_error *err);

#endif
