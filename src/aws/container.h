/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials from the container endpoint (ECS, EKS Pod Identity), the sixth
 * source of the default chain (chain.h).
 *
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2 + it) or
 * AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to loopback /
 * 169.254.170.2 / 169.254.170.23 / fd00:ec2::23); Authorization from
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each fetch) or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN. 2 s timeout and 3 attempts unless the
 * chain options say otherwise.
 */
#ifndef VP_AWS_CONTAINER_H
#define VP_AWS_CONTAINER_H

#include <stdbool.h>

#include "aws/credentials.h"

/*
 * A "container" provider from the variables above (read now; nothing is
 * sent until the first vp_aws_credentials_provider_get()). VP_ERR_AUTH for a
 * FULL_URI that may not be used, VP_ERR_RANGE for one too long.
 */
VP_NODISCARD vp_code vp_aws_container_provider_new(const struct vp_aws_chain_options *o,
						   struct vp_aws_credentials_provider **out,
						   struct vp_error *err);

/* Whether an AWS_CONTAINER_CREDENTIALS_FULL_URI may be used (https, or http to an allowed host). */
bool vp_aws_container_uri_allowed(const char *url);

#endif
