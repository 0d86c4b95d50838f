/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's HTTP requests, before any work is done: which route a method
 * and path name, and the validated JSON bodies of register and confirm.
 *
 * Everything here is strict and bounded, and fails with VP_ERR_INVALID (400),
 * VP_ERR_NOT_FOUND (404) or VP_ERR_CONFLICT for a wrong method (405) and a
 * message that names the offending field. Outputs are plain structs with
 * fixed-size fields: nothing to free.
 */
#ifndef VP_API_REQUEST_H
#define VP_API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/types.h"
#include "core/error.h"

#define VP_API_MAX_BODY 16384

enum vp_route {
	VP_ROUTE_HEALTHZ,
	VP_ROUTE_READYZ,
	VP_ROUTE_METRICS,
	VP_ROUTE_NAMESPACES_LIST,     /* GET /v1/namespaces */
	VP_ROUTE_NAMESPACES_REGISTER, /* POST /v1/namespaces */
	VP_ROUTE_NAMESPACE_GET,       /* GET /v1/namespaces/{n} */
	VP_ROUTE_NAMESPACE_RELEASE,   /* DELETE /v1/namespaces/{n} */
	VP_ROUTE_NAMESPACE_CONFIRM,   /* POST /v1/namespaces/{n}/confirm */
	VP_ROUTE_EVENTS_LIST,         /* GET /v1/events (admins) */
	/* The hub page, on the metrics/admin listener only, no proof (admin.h, issue 17). */
	VP_ROUTE_ADMIN_ASSET,      /* GET /admin/, /admin/app.js, /admin/style.css */
	VP_ROUTE_ADMIN_SUMMARY,    /* GET /admin/api/summary */
	VP_ROUTE_ADMIN_NAMESPACES, /* GET /admin/api/namespaces */
	VP_ROUTE_ADMIN_EVENTS,     /* GET /admin/api/events */
};

struct vp_route_match {
	enum vp_route route;
	int64_t namespace_id; /* for the /v1/namespaces/{n} routes, else -1 */
	/* For a 405: the methods the path accepts ("GET, DELETE"). */
	const char *allowed_methods;
	int asset; /* VP_ROUTE_ADMIN_ASSET: the index in vp_admin_assets (admin.h) */
};

/*
 * Match a method and a path (without the query string). The namespace number
 * must be plain decimal without a sign or leading zeros and below 2^31.
 * VP_ERR_NOT_FOUND for an unknown path; VP_ERR_CONFLICT for a known path with
 * another method (out->allowed_methods is set for the Allow header).
 */
VP_NODISCARD vp_code vp_route_match(const char *method, const char *path,
				    struct vp_route_match *out, struct vp_error *err);

/* The route's template for logs and metrics ("/v1/namespaces/{n}"). */
const char *vp_route_template(enum vp_route route);

/*
 * Whether a listener serves the route: /metrics and /admin only the metrics
 * listener (--metrics-listen), /v1 only the API's, the health checks both.
 */
bool vp_route_on_listener(enum vp_route route, bool metrics_listener);

/* Whether the route is the hub page's (/admin/...): no proof, the page's headers. */
bool vp_route_is_admin(enum vp_route route);

/*
 * The bodies of POST /v1/namespaces and POST /v1/namespaces/{n}/confirm, into
 * the broker's input types (broker/types.h). The client_ref and the ids are
 * checked with core/ids.h's rules.
 */
VP_NODISCARD vp_code vp_register_request_parse(const char *body, size_t len,
					       struct vp_register_request *out,
					       struct vp_error *err);
VP_NODISCARD vp_code vp_confirm_request_parse(const char *body, size_t len,
					      struct vp_confirm_request *out, struct vp_error *err);

#endif
