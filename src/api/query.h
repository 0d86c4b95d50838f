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
#include "core/ids.h"

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

/*
 * The query string of DELETE /v1/namespaces/{n}: at most one parameter,
 *   client_ref=R   release n only while it holds the caller's registration R
 * (percent-decoded, checked as a client_ref). out (VP_CLIENT_REF_MAX + 1
 * bytes) gets R, or "" when the query is empty.
 */
VP_NODISCARD vp_code vp_release_query_parse(const char *query, size_t len, char *out,
					    struct vp_error *err);

/*
 * The query string of GET /v1/events and the admin listener's /admin/api/events
 * (issue 17), the same rules:
 *   n=N              one namespace's events (1..2^31-1)
 *   account=A        one account's events (12 digits)
 *   cursor=C         the NextCursor of the previous page (an event id)
 *   limit=L          1..VP_LIST_LIMIT_MAX (default VP_LIST_LIMIT_DEFAULT)
 */
struct vp_events_query {
	int64_t n;        /* 0: any */
	char account[13]; /* "": any */
	int64_t cursor;   /* 0: from the newest */
	unsigned limit;
};

VP_NODISCARD vp_code vp_events_query_parse(const char *query, size_t len,
					   struct vp_events_query *out, struct vp_error *err);

/*
 * The query string of the admin listener's /admin/api/namespaces (the hub
 * page's table): state and account as GET /v1/namespaces (state default: the
 * live ones), cursor, limit, and
 *   label=K or K=V   namespaces with that label (and value)
 *   q=TEXT           a substring of the client_ref, CIDR, VPC or peering id, or n
 */
#define VP_ADMIN_SEARCH_MAX 64
struct vp_admin_ns_query {
	struct vp_list_query list;
	char label_key[65];              /* "": any */
	char label_value[257];           /* with label_has_value */
	int label_has_value;             /* K=V rather than K */
	char q[VP_ADMIN_SEARCH_MAX + 1]; /* "": any */
};

VP_NODISCARD vp_code vp_admin_ns_query_parse(const char *query, size_t len,
					     struct vp_admin_ns_query *out, struct vp_error *err);

#endif
