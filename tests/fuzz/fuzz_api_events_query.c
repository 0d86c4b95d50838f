/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query strings of GET /v1/events, /admin/api/events and
 * /admin/api/namespaces (issue 17) on arbitrary bytes: never crash, and what
 * they accept obeys the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/query.h"
#include "registry/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct vp_error *err)
{
	if (err->code != VP_ERR_INVALID || strlen(err->message) == 0)
		abort();
}

static void check_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_events_query e;
	struct vp_admin_ns_query a;
	struct vp_error err;

	if (vp_events_query_parse((const char *)data, size, &e, &err) != VP_OK)
		check_error(&err);
	else if (e.limit < 1 || e.limit > VP_LIST_LIMIT_MAX || e.cursor < 0 || e.n < 0 ||
		 e.n > INT32_MAX || (e.account[0] && strlen(e.account) != 12))
		abort();
	if (vp_admin_ns_query_parse((const char *)data, size, &a, &err) != VP_OK) {
		check_error(&err);
		return 0;
	}
	if (a.list.limit < 1 || a.list.limit > VP_LIST_LIMIT_MAX || a.list.cursor < 0 ||
	    (a.list.states & ~VP_NS_STATES_ALL) != 0 ||
	    (a.list.account[0] && strlen(a.list.account) != 12) ||
	    strlen(a.q) > VP_ADMIN_SEARCH_MAX || (a.label_has_value && !a.label_key[0]))
		abort();
	check_printable(a.q);
	check_printable(a.label_key);
	check_printable(a.label_value);
	return 0;
}
