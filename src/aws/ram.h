/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Resource Access Manager (REST-JSON, signing name "ram", regional
 * endpoint https://ram.<region>.<suffix>; AWS_ENDPOINT_URL_RAM and
 * AWS_ENDPOINT_URL honoured as for the other services): sharing the hub's
 * transit gateway with client accounts and, on the client side, accepting
 * the invitation. Each call is a POST of a JSON document to its path (RAM
 * API reference); writes carry a clientToken ("a unique, case-sensitive
 * identifier that you provide to ensure the idempotency of the request"), the
 * same across the retries of one call, so a retried write is not done twice.
 * Results are the caller's: free them with their _free (NULL is a no-op).
 */
#ifndef VP_AWS_RAM_H
#define VP_AWS_RAM_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/error.h"

struct vp_aws_client;

/* Items one answer may hold, pages one listing may take. */
#define VP_AWS_RAM_MAX_ITEMS 100000
#define VP_AWS_RAM_MAX_PAGES 1000
/* principals and resourceArns per Associate/Disassociate call (our bound, not RAM's). */
#define VP_AWS_RAM_MAX_LIST 100

struct vp_aws_ram_association {
	char *resource_share_arn;
	char *associated_entity; /* an account id, OU/organization ARN, or a resource ARN */
	char *association_type;  /* "PRINCIPAL", "RESOURCE" */
	char *status; /* "ASSOCIATING", "ASSOCIATED", "FAILED", "DISASSOCIATING", "DISASSOCIATED" */
	char *status_message; /* may be NULL */
	bool external;        /* the principal is outside the owner's organization */
};

struct vp_aws_ram_associations {
	struct vp_aws_ram_association *items;
	size_t count;
};

struct vp_aws_ram_invitation {
	char *invitation_arn;
	char *resource_share_arn;
	char *resource_share_name; /* may be NULL */
	char *sender_account_id;
	char *receiver_account_id;
	char *status; /* "PENDING", "ACCEPTED", "REJECTED", "EXPIRED" */
};

struct vp_aws_ram_invitations {
	struct vp_aws_ram_invitation *items;
	size_t count;
};

struct vp_aws_ram_share {
	char *resource_share_arn;
	char *name;
	char *owning_account_id;
	char *status; /* "PENDING", "ACTIVE", "FAILED", "DELETING", "DELETED" */
	bool allow_external_principals;
};

struct vp_aws_ram_shares {
	struct vp_aws_ram_share *items;
	size_t count;
};

void vp_aws_ram_associations_free(struct vp_aws_ram_associations *list);
void vp_aws_ram_invitations_free(struct vp_aws_ram_invitations *list);
void vp_aws_ram_shares_free(struct vp_aws_ram_shares *list);

/*
 * AssociateResourceShare / DisassociateResourceShare: principals (account
 * ids) and/or resource ARNs, at least one of them. client_token: NULL for a
 * fresh random one (the same across this call's retries). *out (may be NULL)
 * lists the associations RAM answered with.
 */
struct vp_aws_ram_share_change {
	const char *resource_share_arn;
	const char *const *principals;
	size_t principal_count;
	const char *const *resource_arns;
	size_t resource_count;
	const char *client_token;
};

VP_NODISCARD vp_code vp_aws_ram_associate(struct vp_aws_client *client,
					  const struct vp_aws_ram_share_change *change,
					  struct vp_aws_ram_associations **out,
					  struct vp_aws_error *err);
VP_NODISCARD vp_code vp_aws_ram_disassociate(struct vp_aws_client *client,
					     const struct vp_aws_ram_share_change *change,
					     struct vp_aws_ram_associations **out,
					     struct vp_aws_error *err);

/*
 * GetResourceShareAssociations (every page). type "PRINCIPAL" or "RESOURCE"
 * (required); the others narrow it and may be NULL. A principal may only be
 * given with PRINCIPAL, a resource ARN only with RESOURCE (RAM refuses both).
 */
struct vp_aws_ram_association_query {
	const char *association_type;
	const char *resource_share_arn;
	const char *principal;
	const char *resource_arn;
	const char *status;
};

VP_NODISCARD vp_code vp_aws_ram_get_associations(struct vp_aws_client *client,
						 const struct vp_aws_ram_association_query *q,
						 struct vp_aws_ram_associations **out,
						 struct vp_aws_error *err);

/* GetResourceShareInvitations (every page); resource_share_arn may be NULL (all). */
VP_NODISCARD vp_code vp_aws_ram_get_invitations(struct vp_aws_client *client,
						const char *resource_share_arn,
						struct vp_aws_ram_invitations **out,
						struct vp_aws_error *err);

/* AcceptResourceShareInvitation; client_token NULL: a fresh one. *out may be NULL. */
VP_NODISCARD vp_code vp_aws_ram_accept_invitation(struct vp_aws_client *client,
						  const char *invitation_arn,
						  const char *client_token,
						  struct vp_aws_ram_invitations **out,
						  struct vp_aws_error *err);

/* GetResourceShares (every page): owner "SELF" or "OTHER-ACCOUNTS"; arn may be NULL. */
VP_NODISCARD vp_code vp_aws_ram_get_shares(struct vp_aws_client *client, const char *owner,
					   const char *resource_share_arn,
					   struct vp_aws_ram_shares **out,
					   struct vp_aws_error *err);

/*
 * Parsers of one answer (fuzzed). *list grows (allocated on first use);
 * *next_token (may be NULL when not wanted) is the page's nextToken or NULL.
 * `key` names the array: "resourceShareAssociations"; the invitation parser
 * also takes the single "resourceShareInvitation" of the Accept answer.
 */
VP_NODISCARD vp_code vp_aws_ram_parse_associations(const char *body, size_t len,
						   struct vp_aws_ram_associations **list,
						   char **next_token, struct vp_error *err);
VP_NODISCARD vp_code vp_aws_ram_parse_invitations(const char *body, size_t len,
						  struct vp_aws_ram_invitations **list,
						  char **next_token, struct vp_error *err);
VP_NODISCARD vp_code vp_aws_ram_parse_shares(const char *body, size_t len,
					     struct vp_aws_ram_shares **list, char **next_token,
					     struct vp_error *err);

#endif
