/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the EC2 calls: what ec2.c (describe, routes) shares with
 * ec2_peering.c (the peering life cycle, tags). Not for other modules.
 */
#ifndef VP_AWS_EC2_INTERNAL_H
#define VP_AWS_EC2_INTERNAL_H

#include <stdbool.h>

#include "aws/client.h"
#include "aws/ec2.h"

/* A call whose answer is <return>true</return> (see vp_aws_ec2_parse_return). */
VP_NODISCARD vp_code vp_aws_ec2_call_return(struct vp_aws_client *client, const char *action,
					    struct vp_aws_params *params, bool required,
					    struct vp_aws_error *err);

#endif
