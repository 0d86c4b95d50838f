/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test's AWS client with static keys: the client configuration the test
 * chose (region, endpoint, clock, retry delay...) plus the given key, secret
 * and token (token may be NULL). For cmocka tests: a failure fails the test.
 * vp_aws_client_free() frees the client.
 */
#ifndef VP_TEST_STATIC_CLIENT_H
#define VP_TEST_STATIC_CLIENT_H

#include "aws/client.h"

struct vp_aws_client *vp_test_static_client(struct vp_aws_client_config cfg, const char *key,
					    const char *secret, const char *token);

#endif
