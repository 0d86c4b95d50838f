/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identifiers every layer checks, with one rule each: AWS account ids,
 * client references and EC2 ids (pcx-, vpc-, rtb-), and their maximum
 * lengths. The API, the CLI, the Lambda handler and the broker all call these
 * so that an id one of them accepts is never refused by another.
 */
#ifndef VP_CORE_IDS_H
#define VP_CORE_IDS_H
#include <stdbool.h>

#include "core/error.h"

#define VP_IDS_ACCOUNT_LEN 12  /* an AWS account id: exactly 12 decimal digits */
#define VP_CLIENT_REF_MAX  256 /* a client reference (the idempotency key) */
/* The longest EC2 id the broker keeps: "tgw-attach-", then 17 hex digits (issue 16; a
 * peering's "pcx-0123456789abcdef0" is 21). */
#define VP_AWS_ID_MAX 28

/* Whether account is exactly VP_IDS_ACCOUNT_LEN decimal digits. NULL: false. */
bool vp_ids_account_valid(const char *account);

/*
 * The same rule with a message: VP_ERR_INVALID "account id 'X' is not 12
 * digits (an AWS account id is)" (X cut to 32 characters, '?' when it is not
 * printable).
 */
VP_NODISCARD vp_code vp_ids_account_check(const char *account, struct vp_error *err);

/*
 * A client reference: 1..VP_CLIENT_REF_MAX visible ASCII characters (0x21 to
 * 0x7e: no space, no control character). CloudFormation stack ARNs and
 * logical ids fit. VP_ERR_INVALID names the first offending position.
 */
VP_NODISCARD vp_code vp_ids_client_ref_check(const char *ref, struct vp_error *err);

/*
 * An EC2 id with the given prefix ("pcx", "vpc", "rtb"): the prefix, '-' and
 * 8 or 17 lower-case hex digits, so at most VP_AWS_ID_MAX characters.
 * VP_ERR_INVALID names `field` ("vpc_id", "--hub-vpc").
 */
VP_NODISCARD vp_code vp_ids_aws_id_check(const char *id, const char *prefix, const char *field,
					 struct vp_error *err);

#endif
