/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM: GetRole and UpdateAssumeRolePolicy (the peer role's trust policy).
 *
 * IAM returns policy documents URL-encoded (RFC 3986); GetRole decodes the
 * AssumeRolePolicyDocument to its JSON text ('+' stays '+', as botocore
 * does). Results are heap objects owned by the caller, freed with their
 * _free (NULL is a no-op).
 */
#ifndef VP_AWS_IAM_H
#define VP_AWS_IAM_H

#include <stddef.h>
#include <stdint.h>

#include "aws/error.h"

struct vp_aws_client;

struct vp_aws_iam_role {
	char *role_name;
	char *role_id;
	char *arn;
	char *path;
	char *create_date;                 /* ISO 8601, as IAM sent it */
	char *assume_role_policy_document; /* decoded JSON, NULL when absent */
	char *description;                 /* NULL when absent */
	int64_t max_session_duration;      /* seconds, 0 when absent */
};

void vp_aws_iam_role_free(struct vp_aws_iam_role *role);

VP_NODISCARD vp_code vp_aws_iam_get_role(struct vp_aws_client *client, const char *role_name,
					 struct vp_aws_iam_role **out, struct vp_aws_error *err);

/* Replace the role's trust policy with `policy_document` (JSON text). */
VP_NODISCARD vp_code vp_aws_iam_update_assume_role_policy(struct vp_aws_client *client,
							  const char *role_name,
							  const char *policy_document,
							  struct vp_aws_error *err);

/* Parser of GetRole's success body. */
VP_NODISCARD vp_code vp_aws_iam_parse_get_role(const char *body, size_t len,
					       struct vp_aws_iam_role **out, struct vp_error *err);

#endif
