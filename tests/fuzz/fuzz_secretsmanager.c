/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets Manager's answer and RDS's secret format (aws/secretsmanager.h,
 * issue 18) on arbitrary bytes: never a crash; a refusal says why and leaves
 * no password; an accepted secret has a user and a password within their
 * caps, and its URL, when one is built, fits its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/secretsmanager.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_aws_rds_secret s;
	struct vp_error err = {VP_OK, ""};
	struct vp_buf value;
	char url[1025];
	vp_code rc;

	vp_buf_init(&value, VP_AWS_SECRET_MAX + 1);
	rc = vp_aws_secretsmanager_parse_value((const char *)data, size, &value, &err);
	fuzz_refused_with_reason(rc, &err);
	vp_buf_cleanup(&value);

	rc = vp_aws_rds_secret_parse((const char *)data, size, &s, &err);
	fuzz_refused_with_reason(rc, &err);
	if (rc != VP_OK && (s.password[0] || s.username[0]))
		abort();
	if (rc == VP_OK) {
		if (!s.username[0] || !s.password[0] || s.port > 65535 ||
		    strlen(s.password) >= sizeof(s.password))
			abort();
		rc = vp_aws_rds_secret_url(NULL, &s, url, sizeof(url), &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && (strncmp(url, "postgresql://", 13) != 0 || strlen(url) >= 1025))
			abort();
	}
	vp_aws_rds_secret_wipe(&s);
	return 0;
}
