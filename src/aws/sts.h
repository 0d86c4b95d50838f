/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STS: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity, and the
 * unsent signed GetCallerIdentity of the broker's identity proof.
 *
 * Results are heap objects owned by the caller, freed with their _free
 * (NULL is a no-op; credentials inside are wiped). The parsers take the
 * response body as (pointer, length) and are what the fuzz target drives.
 */
#ifndef VP_AWS_STS_H
#define VP_AWS_STS_H

#include <stddef.h>

#include "aws/credentials.h"
#include "aws/error.h"
#include "aws/sigv4.h"

struct vp_aws_client;

struct vp_aws_caller_identity {
	char *account; /* "111111111111" */
	char *arn;     /* "arn:aws:iam::111111111111:user/hub" */
	char *user_id; /* "AIDA..." or "AROA...:session" */
};

void vp_aws_caller_identity_free(struct vp_aws_caller_identity *id);

VP_NODISCARD vp_code vp_aws_sts_get_caller_identity(struct vp_aws_client *client,
						    struct vp_aws_caller_identity **out,
						    struct vp_aws_error *err);

struct vp_aws_assume_role_input {
	const char *role_arn;     /* required */
	const char *session_name; /* required, 2-64 [\w+=,.@-] */
	const char *external_id;  /* NULL: none */
	int duration_seconds;     /* 0: STS's default (3600) */
	const char *policy;       /* session policy JSON, NULL: none */
};

struct vp_aws_assumed_role {
	struct vp_aws_credentials credentials; /* with session token and expiration */
	char *assumed_role_id;                 /* "AROA...:session" */
	char *arn;                             /* "arn:aws:sts::ACCT:assumed-role/ROLE/session" */
};

void vp_aws_assumed_role_free(struct vp_aws_assumed_role *r);

VP_NODISCARD vp_code vp_aws_sts_assume_role(struct vp_aws_client *client,
					    const struct vp_aws_assume_role_input *in,
					    struct vp_aws_assumed_role **out,
					    struct vp_aws_error *err);

/* Unsigned; the client should be anonymous (client.h). */
VP_NODISCARD vp_code vp_aws_sts_assume_role_with_web_identity(
	struct vp_aws_client *client, const char *role_arn, const char *session_name,
	const char *token, int duration_seconds, struct vp_aws_assumed_role **out,
	struct vp_aws_error *err);

/*
 * A signed, unsent sts:GetCallerIdentity (POST, body
 * "Action=GetCallerIdentity&Version=2011-06-15") to the client's STS
 * endpoint, with extra_headers (e.g. the broker's server-id header) signed.
 * *out is the caller's: vp_aws_signed_request_free().
 */
VP_NODISCARD vp_code vp_aws_sts_sign_get_caller_identity(struct vp_aws_client *client,
							 const struct vp_aws_header *extra_headers,
							 size_t extra_count,
							 struct vp_aws_signed_request **out,
							 struct vp_error *err);

/* Parsers of the success bodies. */
VP_NODISCARD vp_code vp_aws_sts_parse_caller_identity(const char *body, size_t len,
						      struct vp_aws_caller_identity **out,
						      struct vp_error *err);
/* AssumeRole and AssumeRoleWithWebIdentity answers. */
VP_NODISCARD vp_code vp_aws_sts_parse_assume_role(const char *body, size_t len,
						  struct vp_aws_assumed_role **out,
						  struct vp_error *err);

#endif
