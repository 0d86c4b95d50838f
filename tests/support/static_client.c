/* SPDX-License-Identifier: Apache-2.0 */
#include "static_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

struct vp_aws_client *vp_test_static_client(struct vp_aws_client_config cfg, const char *key,
					    const char *secret, const char *token)
{
	struct vp_aws_credentials_provider *creds = NULL;
	struct vp_aws_client *c = NULL;
	struct vp_error err;

	assert_int_equal(vp_aws_credentials_provider_new_static(key, secret, token, &creds, &err),
			 VP_OK);
	cfg.credentials = creds;
	if (vp_aws_client_new(&cfg, &c, &err) != VP_OK)
		fail_msg("%s", err.message);
	vp_aws_credentials_provider_free(creds);
	return c;
}
