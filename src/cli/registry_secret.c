/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --registry-secret (issue 18): the PostgreSQL registry's credentials from a
 * Secrets Manager secret in RDS's format, so no password sits in a flag, an
 * environment variable or a template. RDS's managed master secret holds only
 * username and password: the host (RDS Proxy's endpoint, say) then comes
 * from --db; a rotation-format secret may carry the whole address.
 */
#include <openssl/crypto.h>

#include "aws/secretsmanager.h"
#include "cli/broker_config.h"

vp_code cli_registry_secret_fetch(struct vp_aws_client *aws, const char *secret_arn, const char *db,
				  char *out, size_t cap, struct vp_error *err)
{
	struct vp_aws_rds_secret secret;
	struct vp_aws_error aerr;
	struct vp_buf value;
	vp_code rc;

	vp_buf_init(&value, VP_AWS_SECRET_MAX + 1);
	rc = vp_aws_secretsmanager_get(aws, secret_arn, &value, &aerr);
	if (rc != VP_OK) {
		*err = aerr.error;
		vp_error_prefix(err, "--registry-secret");
	} else {
		rc = vp_aws_rds_secret_parse(value.data, value.len, &secret, err);
		if (rc == VP_OK)
			rc = vp_aws_rds_secret_url(db, &secret, out, cap, err);
		if (rc != VP_OK)
			vp_error_prefix(err, "--registry-secret");
		vp_aws_rds_secret_wipe(&secret);
	}
	if (value.data)
		OPENSSL_cleanse(value.data, value.len);
	vp_buf_cleanup(&value);
	return rc;
}
