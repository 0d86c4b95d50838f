/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default credential chain, and the client that uses it.
 *
 * In botocore's order (credentials.py create_credential_resolver), the first
 * source that is configured wins:
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN
 *      or AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION]; skipped when a
 *      profile was named explicitly (botocore does the same);
 *   2. the profile's role_arn with source_profile or credential_source
 *      (Environment, Ec2InstanceMetadata, EcsContainer): sts:AssumeRole
 *      (assume_role.h);
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      [+ AWS_ROLE_SESSION_NAME], or the profile's web_identity_token_file +
 *      role_arn: sts:AssumeRoleWithWebIdentity, unsigned (assume_role.h);
 *   4. the shared credentials file's profile (aws_access_key_id, ...);
 *   5. the config file's profile;
 *   6. the container endpoint (container.h);
 *   7. EC2 instance metadata (imds.h); skipped when AWS_EC2_METADATA_DISABLED=true.
 * Not implemented: SSO, credential_process, login sessions (they are for people, not the
 * broker). The source is chosen without network access when the chain is
 * created (the environment and files are read then); credentials are
 * fetched on first use.
 *
 * Layering: the chain needs STS, and STS needs a client, so this file sits
 * above client.h; the client itself only takes a provider (credentials.h).
 */
#ifndef VP_AWS_CHAIN_H
#define VP_AWS_CHAIN_H

#include "aws/client.h"
#include "aws/credentials.h"

/* The default chain (above). VP_ERR_AUTH when no source is configured. */
VP_NODISCARD vp_code vp_aws_credentials_provider_new_chain(const struct vp_aws_chain_options *opts,
							   struct vp_aws_credentials_provider **out,
							   struct vp_error *err);

/*
 * vp_aws_client_new(), with the default chain for credentials when
 * cfg->credentials is NULL and the client is not anonymous: the chain is
 * given the client's profile, region, shared files, clock, retry delay and
 * STS endpoint when it is a custom one, and cfg->chain for the rest. What the
 * program's edges call; a caller that has its own provider may call either.
 */
VP_NODISCARD vp_code vp_aws_client_new_default(const struct vp_aws_client_config *cfg,
					       struct vp_aws_client **out, struct vp_error *err);

#endif
