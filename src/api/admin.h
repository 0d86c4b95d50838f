/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hub page (issue 17; docs/operations.md "The hub page"): a read-only
 * view for the operator, served on the metrics/admin listener only
 * (--metrics-listen, loopback by default) and without a proof, because only
 * someone on the broker's host (or a port forward to it) reaches it.
 *
 *   GET /admin/                  the page (index.html), /admin/app.js, /admin/style.css:
 *                                files of src/api/web/ compiled into the binary
 *   GET /admin/api/summary       the hub, the capacity gauges, namespaces by state and
 *                                account (or each one, when few), the last reconciler pass
 *   GET /admin/api/namespaces    the table: a page, filtered (query.h vp_admin_ns_query)
 *   GET /admin/api/events        the audit history newest first (query.h vp_events_query)
 *
 * And GET /v1/events on the API listener: the same history, for admins with a proof.
 * Every answer of the page carries a strict Content-Security-Policy (vp_admin_headers).
 */
#ifndef VP_API_ADMIN_H
#define VP_API_ADMIN_H

#include <stddef.h>

#include "api/admin_assets.h"
#include "api/handler.h"

/* The headers of every answer of the page (name, value, ..., NULL): a strict
 * Content-Security-Policy (default-src 'self', no inline script), nosniff, no
 * framing, no referrer. */
extern const char *const vp_admin_headers[];

/* A route of the page (vp_route_is_admin), on a worker; call->caller is NULL (the operator).
 * Sets call->headers to vp_admin_headers. */
void vp_api_admin_call(struct vp_api_call *call);

/* GET /v1/events (call->caller is set; admins only). */
void vp_api_events_list(struct vp_api_call *call);

#endif
