/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C integration tests' side of awsenv (awsenv.h) through the project's
 * own AWS client: the program's set-up and tear-down, a client with static
 * keys pointed at awsenv, the calls the client has no wrapper for, and
 * control requests. For cmocka tests: what fails here fails the test
 * (fail_msg), so a test reads as its steps.
 */
#ifndef VP_TEST_AWSENV_CLIENT_H
#define VP_TEST_AWSENV_CLIENT_H

#include "aws/client.h"
#include "awsenv.h"

/*
 * Before the tests of a program (`name` starts its messages): keep the
 * default credential chain off the real instance metadata and a developer's
 * AWS_* variables, initialise libcurl and libxml2 (vp_aws_global_init) and
 * start awsenv in *env. 0, or 1 (the program's exit status) after printing why.
 */
int vp_test_awsenv_setup(const char *name, struct vp_test_awsenv *env);

/* After them: stop awsenv (a warning when it did not stop cleanly), then libcurl. */
void vp_test_awsenv_teardown(const char *name, struct vp_test_awsenv *env);

/*
 * A client for us-east-1 at env->url with static credentials (token may be
 * NULL), no config files, retries retry_base_delay seconds apart (a few
 * milliseconds keep the retry tests quick). vp_aws_client_free() frees it.
 */
struct vp_aws_client *vp_test_aws_client(const struct vp_test_awsenv *env, const char *key,
					 const char *secret, const char *token,
					 double retry_base_delay);

/*
 * A call the client has no wrapper for (a test's set-up): the parameters as
 * name, value pairs ending in (char *)NULL. Returns the text of the first
 * element `field` of the answer (the caller's to free), or NULL when field is
 * NULL.
 */
char *vp_test_aws_raw(struct vp_aws_client *c, enum vp_aws_service svc, const char *action,
		      const char *field, ...);

/* POST `json` to the control API's `path` ("/_awsenv/faults"); anything but 200 fails. */
void vp_test_awsenv_post(struct vp_test_awsenv *env, const char *path, const char *json);

#endif
