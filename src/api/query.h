/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query string of GET /v1/namespaces (docs/api.md):
 *   state=S[,S...]   pending, active, failed, releasing, released (default: all)
 *   account=A        a 12-digit account id (admins; a caller's own otherwise)
 *   cursor=C         the NextCursor of the previous page
 *   limit=L          1..VP_LIST_LIMIT_MAX (default VP_LIST_LIMIT_DEFAULT)
 * Percent-encoding and '+' are decoded. Unknown or repeated parameters,
 * empty values and anything malformed are VP_ERR_INVALID with the
 * parameter named. The result is a plain value; nothing to free.
 */
#ifndef VP_API_QUERY_H
#define VP_API_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define VP_LIST_QUERY_MAX     2048 /* longest accepted query string */
#define VP_LIST_LIMIT_DEFAULT 100
#define VP_LIST_LIMIT_MAX     1000

struct vp_list_query {
	unsigned states;  /* VP_NS_STATE_BIT()s; 0: all */
	char account[13]; /* "" when none */
	int64_t cursor;   /* 0: from the start */
	unsigned limit;
};

/* Parse the part after '?' (len 0: no query). */
VP_NODISCARD vp_code vp_list_query_parse(const char *query, size_t len, struct vp_list_query *out,
					 struct vp_error *err);

#endif
