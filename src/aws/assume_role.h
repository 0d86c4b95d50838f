/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials from STS: sts:AssumeRole signed with a source's credentials
 * (a profile's role_arn with source_profile or credential_source), and
 * unsigned sts:AssumeRoleWithWebIdentity with a token file (web identity).
 * The default chain (chain.h) decides when they apply and makes the STS
 * client each calls with.
 *
 * Each provider takes `sts` (a client of its own: signed with the source's
 * provider for a role, anonymous for web identity) and frees it with itself,
 * also when its creation fails. A NULL session name is "vpcpeer-<unix time>".
 */
#ifndef VP_AWS_ASSUME_ROLE_H
#define VP_AWS_ASSUME_ROLE_H

#include "aws/credentials.h"

struct vp_aws_client;

/* An "assume-role" provider. external_id may be NULL; duration_seconds 0 is STS's default. */
VP_NODISCARD vp_code vp_aws_assume_role_provider_new(struct vp_aws_client *sts,
						     const char *role_arn, const char *session_name,
						     const char *external_id, int duration_seconds,
						     const struct vp_aws_chain_options *o,
						     struct vp_aws_credentials_provider **out,
						     struct vp_error *err);

/* A "web-identity" provider; the token file is read at each fetch. */
VP_NODISCARD vp_code vp_aws_web_identity_provider_new(struct vp_aws_client *sts,
						      const char *token_file, const char *role_arn,
						      const char *session_name,
						      const struct vp_aws_chain_options *o,
						      struct vp_aws_credentials_provider **out,
						      struct vp_error *err);

#endif
