/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query string of GET /v1/namespaces on arbitrary bytes: never crashes,
 * and what it accepts obeys the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/query.h"
#include "registry/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_list_query q;
	struct vp_error err;

	if (vp_list_query_parse((const char *)data, size, &q, &err) != VP_OK) {
		if (err.code != VP_ERR_INVALID || strlen(err.message) == 0)
			abort();
		return 0;
	}
	if (q.limit < 1 || q.limit > VP_LIST_LIMIT_MAX || q.cursor < 0 ||
	    (q.states & ~VP_NS_STATES_ALL) != 0)
		abort();
	if (q.account[0] && strlen(q.account) != 12)
		abort();
	return 0;
}
