/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query strings of GET /v1/namespaces and DELETE /v1/namespaces/{n} on
 * arbitrary bytes: never crash, and what they accept obeys the documented
 * bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/query.h"
#include "core/ids.h"
#include "registry/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ref[VP_CLIENT_REF_MAX + 1];
	struct vp_list_query q;
	struct vp_error err;

	if (vp_release_query_parse((const char *)data, size, ref, &err) != VP_OK) {
		if (err.code != VP_ERR_INVALID || strlen(err.message) == 0)
			abort();
	} else if (ref[0] ? vp_ids_client_ref_check(ref, &err) != VP_OK : size != 0) {
		abort(); /* accepted: a valid client_ref, or nothing from an empty query */
	}
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
