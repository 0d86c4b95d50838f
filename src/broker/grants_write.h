/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside grants: one trust-policy write (UpdateAssumeRolePolicy) and IAM's
 * two refusals of a document that grants.c cannot foresee (issue 22):
 * LimitExceeded (the account's real ACLSizePerRole quota is lower than the
 * configured one) and MalformedPolicyDocument "Invalid principal in policy"
 * (a principal IAM no longer accepts, e.g. a deleted account's).
 */
#ifndef VP_BROKER_GRANTS_WRITE_H
#define VP_BROKER_GRANTS_WRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/ids.h"

struct vp_aws_client;
struct vp_metrics;
struct vp_trust_policy;

/* Principals one write may drop before it gives up. */
#define VP_GRANTS_MAX_DROPPED 8

/* Invalid principals dropped from the document (counted), by account. */
#define VP_GRANTS_METRIC_INVALID_PRINCIPALS "vpcpeer_trust_invalid_principals_total"

struct vp_grants_write {
	char dropped[VP_GRANTS_MAX_DROPPED][VP_IDS_ACCOUNT_LEN + 1];
	size_t dropped_count;
	bool limit_exceeded; /* IAM answered LimitExceeded: VP_ERR_EXHAUSTED */
	size_t quota;        /* the quota IAM named (0: it named none) */
};

/* The quota IAM names in a LimitExceeded message ("... ACLSizePerRole: 2048"), else 0. */
size_t vp_grants_refused_quota(const char *message);
/*
 * The account of the principal IAM names in a MalformedPolicyDocument message
 * ("Invalid principal in policy: "AWS":"arn:aws:iam::<account>:root"", or the
 * bare 12 digits) into out; false when the message names none.
 */
bool vp_grants_refused_principal(const char *message, char out[VP_IDS_ACCOUNT_LEN + 1]);

/*
 * Write *text (the serialized policy) as role's trust policy. An invalid
 * principal of an account is removed from policy, logged, counted, and the
 * write tried again without it (*text is then the new document: the caller
 * owns and frees it). LimitExceeded answers VP_ERR_EXHAUSTED with
 * out->limit_exceeded and the quota IAM named. Any other failure, or an
 * invalid principal that is no account of the document, fails as IAM said.
 */
VP_NODISCARD vp_code vp_grants_write(struct vp_aws_client *aws, struct vp_metrics *metrics,
				     const char *role, struct vp_trust_policy *policy, char **text,
				     struct vp_grants_write *out, struct vp_error *err);

#endif
