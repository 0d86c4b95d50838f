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

#include "core/error.h"

#define VP_API_MAX_BODY    16384
#define VP_CLIENT_REF_MAX  256
#define VP_LABELS_MAX      16
#define VP_LABEL_KEY_MAX   64
#define VP_LABEL_VALUE_MAX 256
/* "pcx-" or "vpc-" and 8 or 17 hex digits. */
#define VP_AWS_ID_MAX 22

enum vp_route {
	VP_ROUTE_HEALTHZ,
	VP_ROUTE_READYZ,
	VP_ROUTE_METRICS,
	VP_ROUTE_NAMESPACES_LIST,     /* GET /v1/namespaces */
	VP_ROUTE_NAMESPACES_REGISTER, /* POST /v1/namespaces */
	VP_ROUTE_NAMESPACE_GET,       /* GET /v1/namespaces/{n} */
	VP_ROUTE_NAMESPACE_RELEASE,   /* DELETE /v1/namespaces/{n} */
	VP_ROUTE_NAMESPACE_CONFIRM,   /* POST /v1/namespaces/{n}/confirm */
};

struct vp_route_match {
	enum vp_route route;
	int64_t namespace_id; /* for the /v1/namespaces/{n} routes, else -1 */
	/* For a 405: the methods the path accepts ("GET, DELETE"). */
	const char *allowed_methods;
};

/*
 * Match a method and a path (without the query string). The namespace number
 * must be plain decimal without a sign or leading zeros and below 2^31.
 * VP_ERR_NOT_FOUND for an unknown path; VP_ERR_CONFLICT for a known path with
 * another method (out->allowed_methods is set for the Allow header).
 */
VP_NODISCARD vp_code vp_route_match(const char *method, const char *path,
				    struct vp_route_match *out, struct vp_error *err);

struct vp_label {
	char key[VP_LABEL_KEY_MAX + 1];
	char value[VP_LABEL_VALUE_MAX + 1];
};

/* POST /v1/namespaces: {"client_ref": "...", "labels": {"k": "v", ...}} */
struct vp_register_request {
	char client_ref[VP_CLIENT_REF_MAX + 1];
	struct vp_label labels[VP_LABELS_MAX];
	unsigned label_count;
};

/* POST /v1/namespaces/{n}/confirm: {"vpc_peering_connection_id": "pcx-...", "vpc_id": "vpc-..."} */
struct vp_confirm_request {
	char peering_id[VP_AWS_ID_MAX + 1];
	char vpc_id[VP_AWS_ID_MAX + 1];
};

VP_NODISCARD vp_code vp_register_request_parse(const char *body, size_t len,
					       struct vp_register_request *out,
					       struct vp_error *err);
VP_NODISCARD vp_code vp_confirm_request_parse(const char *body, size_t len,
					      struct vp_confirm_request *out, struct vp_error *err);

/*
 * A client reference: 1..VP_CLIENT_REF_MAX printable ASCII characters
 * (CloudFormation stack ARNs and logical ids fit).
 */
VP_NODISCARD vp_code vp_client_ref_check(const char *ref, struct vp_error *err);

/* An EC2 id with the given prefix ("pcx", "vpc"): prefix, '-', 8 or 17 lower-case hex digits. */
VP_NODISCARD vp_code vp_aws_id_check(const char *id, const char *prefix, const char *field,
				     struct vp_error *err);

#endif
