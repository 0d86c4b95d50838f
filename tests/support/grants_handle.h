/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A grants handle (src/broker/grants.h) for the tests of the trust-policy
 * writer, unit (scripted IAM) and integration (awsenv): two peer roles, no
 * settle wait. What fails here fails the cmocka test.
 */
#ifndef VP_TEST_GRANTS_HANDLE_H
#define VP_TEST_GRANTS_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "broker/grants.h"

/*
 * Grants over aws and registry with the peer roles names[0..1] (ARNs
 * arns[0..1]), the trust-policy quota and the gathering window gather_ms
 * (grants.h). vp_grants_free() frees it.
 */
struct vp_grants *vp_test_grants_new(struct vp_aws_client *aws, struct vp_registry *registry,
				     size_t quota, int64_t gather_ms, const char *const names[2],
				     const char *const arns[2]);

#endif
