/* SPDX-License-Identifier: Apache-2.0 */
/* A grants handle for the tests (grants_handle.h). */
#include "grants_handle.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

struct vp_grants *vp_test_grants_new(struct vp_aws_client *aws, struct vp_registry *registry,
				     size_t quota, int64_t gather_ms, const char *const names[2],
				     const char *const arns[2])
{
	struct vp_grants_config cfg = {
		.aws = aws,
		.registry = registry,
		.partition = "aws",
		.quota = quota,
		.settle_ms = 0,
		.gather_ms = gather_ms,
		.roles = {{names[0], arns[0], NULL}, {names[1], arns[1], NULL}},
		.role_count = 2,
	};
	struct vp_grants *g = NULL;
	struct vp_error err;

	if (vp_grants_new(&cfg, &g, &err) != VP_OK)
		fail_msg("grants: %s", err.message);
	return g;
}
