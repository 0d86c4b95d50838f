/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials from EC2 instance metadata (IMDS), the last source of the
 * default chain (chain.h).
 *
 * IMDSv2: a session token first (PUT /latest/api/token, TTL 21600), then the
 * role name and its credentials with the token; IMDSv1 only when the token
 * call is refused with 403/404/405 or gets no answer (a timeout, a refused
 * connection: the hop limit of 1 drops the answer in a container), and
 * AWS_EC2_METADATA_V1_DISABLED (or the profile's ec2_metadata_v1_disabled) is
 * not true (SDKs and Tools Reference Guide, "IMDS credential provider";
 * botocore's token fetch). The endpoint is
 * AWS_EC2_METADATA_SERVICE_ENDPOINT or the profile's
 * ec2_metadata_service_endpoint, else http://169.254.169.254 (or
 * http://[fd00:ec2::254] with endpoint mode IPv6). Timeout and attempts:
 * the chain options, else AWS_METADATA_SERVICE_TIMEOUT (seconds) and
 * AWS_METADATA_SERVICE_NUM_ATTEMPTS, else 1 s and 1 attempt.
 */
#ifndef VP_AWS_IMDS_H
#define VP_AWS_IMDS_H

#include "aws/credentials.h"

/*
 * An "imds" provider for `profile` of `cfg` (the shared files; may be NULL).
 * The environment and files are read now; nothing is sent until the first
 * vp_aws_credentials_provider_get(). VP_ERR_INVALID for an endpoint that is
 * not an http(s) URL or a bad timeout/attempts variable.
 */
VP_NODISCARD vp_code vp_aws_imds_provider_new(const struct vp_aws_config *cfg, const char *profile,
					      const struct vp_aws_chain_options *o,
					      struct vp_aws_credentials_provider **out,
					      struct vp_error *err);

#endif
