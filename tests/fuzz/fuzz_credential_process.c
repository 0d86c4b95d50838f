/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A credential_process's output (aws/credentials_process.h) and its command-line split:
 * never crash, never leak, a refusal always says why, an accepted document has both keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials_process.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_aws_credentials c;
	struct vp_error err = {VP_OK, ""};
	char *line;
	char **argv = NULL;
	vp_code rc;

	vp_aws_credentials_init(&c);
	rc = vp_aws_process_parse((const char *)data, size, &c, &err);
	fuzz_refused_with_reason(rc, &err);
	if (rc == VP_OK && (!c.access_key_id || !c.secret_access_key))
		abort();
	vp_aws_credentials_cleanup(&c);

	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	err.message[0] = '\0';
	rc = vp_aws_process_split(line, &argv, &err);
	fuzz_refused_with_reason(rc, &err);
	if (rc == VP_OK && (!argv[0] || !argv[0][0]))
		abort();
	vp_aws_process_argv_free(argv);
	free(line);
	return 0;
}
