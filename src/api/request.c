/* SPDX-License-Identifier: Apache-2.0 */
#include "api/request.h"

#include <jansson.h>
#include <string.h>

#include "api/admin_assets.h"
#include "core/ids.h"

#define NAMESPACES_PATH "/v1/namespaces"
#define EVENTS_PATH     "/v1/events"
#define ADMIN_PATH      "/admin/"
#define ADMIN_API_PATH  "/admin/api/"

/* Plain decimal, no sign, no leading zero, below 2^31. -1 when not. */
static int64_t parse_namespace(const char *s, size_t len)
{
	int64_t n = 0;

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n < ((int64_t)1 << 31) ? n : -1;
}

static vp_code match_method(const char *method, const char *want, enum vp_route route,
			    const char *allowed, struct vp_route_match *out, struct vp_error *err)
{
	out->allowed_methods = allowed;
	if (strcmp(method, want) != 0)
		return vp_fail(err, VP_ERR_CONFLICT, "method %s is not allowed here (allowed: %s)",
			       method, allowed);
	out->route = route;
	return VP_OK;
}

vp_code vp_route_match(const char *method, const char *path, struct vp_route_match *out,
		       struct vp_error *err)
{
	size_t base = strlen(NAMESPACES_PATH);
	struct vp_route_match match = {VP_ROUTE_HEALTHZ, -1, NULL, -1};
	const char *rest, *slash;
	vp_code rc;

	if (strcmp(path, "/healthz") == 0)
		rc = match_method(method, "GET", VP_ROUTE_HEALTHZ, "GET", &match, err);
	else if (strcmp(path, "/readyz") == 0)
		rc = match_method(method, "GET", VP_ROUTE_READYZ, "GET", &match, err);
	else if (strcmp(path, "/metrics") == 0)
		rc = match_method(method, "GET", VP_ROUTE_METRICS, "GET", &match, err);
	else if (strcmp(path, EVENTS_PATH) == 0)
		rc = match_method(method, "GET", VP_ROUTE_EVENTS_LIST, "GET", &match, err);
	else if (strcmp(path, ADMIN_API_PATH "summary") == 0)
		rc = match_method(method, "GET", VP_ROUTE_ADMIN_SUMMARY, "GET", &match, err);
	else if (strcmp(path, ADMIN_API_PATH "namespaces") == 0)
		rc = match_method(method, "GET", VP_ROUTE_ADMIN_NAMESPACES, "GET", &match, err);
	else if (strcmp(path, ADMIN_API_PATH "events") == 0)
		rc = match_method(method, "GET", VP_ROUTE_ADMIN_EVENTS, "GET", &match, err);
	else if (strncmp(path, ADMIN_PATH, strlen(ADMIN_PATH)) == 0 &&
		 (match.asset = vp_admin_asset_find(path + strlen(ADMIN_PATH))) >= 0)
		rc = match_method(method, "GET", VP_ROUTE_ADMIN_ASSET, "GET", &match, err);
	else if (strcmp(path, NAMESPACES_PATH) == 0) {
		match.allowed_methods = "GET, POST";
		if (strcmp(method, "GET") == 0) {
			match.route = VP_ROUTE_NAMESPACES_LIST;
			rc = VP_OK;
		} else {
			rc = match_method(method, "POST", VP_ROUTE_NAMESPACES_REGISTER, "GET, POST",
					  &match, err);
		}
	} else if (strncmp(path, NAMESPACES_PATH "/", base + 1) == 0) {
		rest = path + base + 1;
		slash = strchr(rest, '/');
		match.namespace_id =
			parse_namespace(rest, slash ? (size_t)(slash - rest) : strlen(rest));
		if (match.namespace_id < 0)
			return vp_fail(err, VP_ERR_NOT_FOUND,
				       "no such path: a namespace is a plain number, as in "
				       "/v1/namespaces/7");
		if (!slash) {
			match.allowed_methods = "GET, DELETE";
			if (strcmp(method, "GET") == 0) {
				match.route = VP_ROUTE_NAMESPACE_GET;
				rc = VP_OK;
			} else {
				rc = match_method(method, "DELETE", VP_ROUTE_NAMESPACE_RELEASE,
						  "GET, DELETE", &match, err);
			}
		} else if (strcmp(slash, "/confirm") == 0) {
			rc = match_method(method, "POST", VP_ROUTE_NAMESPACE_CONFIRM, "POST",
					  &match, err);
		} else {
			return vp_fail(err, VP_ERR_NOT_FOUND, "no such path");
		}
	} else {
		return vp_fail(err, VP_ERR_NOT_FOUND, "no such path");
	}
	if (rc == VP_OK)
		*out = match;
	else
		out->allowed_methods = match.allowed_methods;
	return rc;
}

const char *vp_route_template(enum vp_route route)
{
	switch (route) {
	case VP_ROUTE_HEALTHZ:
		return "/healthz";
	case VP_ROUTE_READYZ:
		return "/readyz";
	case VP_ROUTE_METRICS:
		return "/metrics";
	case VP_ROUTE_NAMESPACES_LIST:
	case VP_ROUTE_NAMESPACES_REGISTER:
		return NAMESPACES_PATH;
	case VP_ROUTE_NAMESPACE_GET:
	case VP_ROUTE_NAMESPACE_RELEASE:
		return NAMESPACES_PATH "/{n}";
	case VP_ROUTE_NAMESPACE_CONFIRM:
		return NAMESPACES_PATH "/{n}/confirm";
	case VP_ROUTE_EVENTS_LIST:
		return EVENTS_PATH;
	case VP_ROUTE_ADMIN_ASSET:
		return ADMIN_PATH "{file}";
	case VP_ROUTE_ADMIN_SUMMARY:
		return ADMIN_API_PATH "summary";
	case VP_ROUTE_ADMIN_NAMESPACES:
		return ADMIN_API_PATH "namespaces";
	case VP_ROUTE_ADMIN_EVENTS:
		return ADMIN_API_PATH "events";
	}
	return "unmatched";
}

/* Parse a body that must be a JSON object. The caller decrefs *out. */
static vp_code load_object(const char *body, size_t len, json_t **out, struct vp_error *err)
{
	json_error_t jerr;
	json_t *doc;

	if (len > VP_API_MAX_BODY)
		return vp_fail(err, VP_ERR_INVALID, "request body is %zu bytes, more than %d", len,
			       VP_API_MAX_BODY);
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return vp_fail(err, VP_ERR_INVALID, "request body is not valid JSON: %s",
			       jerr.text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return vp_fail(err, VP_ERR_INVALID, "request body must be a JSON object");
	}
	*out = doc;
	return VP_OK;
}

/* Copy a string field of at most max bytes; VP_ERR_INVALID names the field otherwise. */
static vp_code copy_string(json_t *value, const char *field, char *out, size_t max,
			   struct vp_error *err)
{
	const char *s = json_string_value(value);
	size_t len;

	if (!s)
		return vp_fail(err, VP_ERR_INVALID, "%s must be a string", field);
	len = json_string_length(value);
	if (len > max)
		return vp_fail(err, VP_ERR_INVALID, "%s is %zu bytes, more than %zu", field, len,
			       max);
	memcpy(out, s, len);
	out[len] = '\0';
	return VP_OK;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static vp_code parse_labels(json_t *labels, struct vp_register_request *req, struct vp_error *err)
{
	const char *key;
	json_t *value;
	vp_code rc;

	if (!json_is_object(labels))
		return vp_fail(err, VP_ERR_INVALID, "labels must be an object of strings");
	if (json_object_size(labels) > VP_LABELS_MAX)
		return vp_fail(err, VP_ERR_INVALID, "labels has %zu entries, more than %d",
			       json_object_size(labels), VP_LABELS_MAX);
	json_object_foreach(labels, key, value)
	{
		struct vp_label *label = &req->labels[req->label_count];
		size_t key_len = strlen(key);

		if (key_len == 0 || key_len > VP_LABEL_KEY_MAX || !printable(key))
			return vp_fail(err, VP_ERR_INVALID,
				       "label names must be 1..%d printable ASCII characters",
				       VP_LABEL_KEY_MAX);
		memcpy(label->key, key, key_len + 1);
		rc = copy_string(value, "a label value", label->value, VP_LABEL_VALUE_MAX, err);
		if (rc != VP_OK)
			return rc;
		if (!printable(label->value))
			return vp_fail(err, VP_ERR_INVALID,
				       "label '%s' has a value that is not printable ASCII",
				       label->key);
		req->label_count++;
	}
	return VP_OK;
}

/* What a body parser does with one field; an unknown field is an error it names. */
typedef vp_code (*body_field_fn)(const char *key, json_t *value, void *req, struct vp_error *err);

/* Walk a body's fields through fn, then check that every `required` field was there. */
static vp_code parse_body(const char *body, size_t len, body_field_fn fn, void *req,
			  const char *const *required, struct vp_error *err)
{
	const char *key;
	json_t *doc = NULL, *value;
	vp_code rc = load_object(body, len, &doc, err);

	if (rc != VP_OK)
		return rc;
	json_object_foreach(doc, key, value)
	{
		rc = fn(key, value, req, err);
		if (rc != VP_OK)
			break;
	}
	for (size_t i = 0; rc == VP_OK && required[i]; i++)
		if (!json_object_get(doc, required[i]))
			rc = vp_fail(err, VP_ERR_INVALID, "%s is missing", required[i]);
	json_decref(doc);
	return rc;
}

static vp_code register_field(const char *key, json_t *value, void *ctx, struct vp_error *err)
{
	struct vp_register_request *req = ctx;

	if (strcmp(key, "client_ref") == 0)
		return copy_string(value, "client_ref", req->client_ref, VP_CLIENT_REF_MAX, err);
	if (strcmp(key, "labels") == 0)
		return parse_labels(value, req, err);
	if (strcmp(key, "region") == 0) /* the client VPC's (issue 16) */
		return copy_string(value, "region", req->region, sizeof(req->region) - 1, err);
	return vp_fail(err, VP_ERR_INVALID,
		       "unknown field '%.64s' (expected client_ref, labels, region)", key);
}

vp_code vp_register_request_parse(const char *body, size_t len, struct vp_register_request *out,
				  struct vp_error *err)
{
	static const char *const required[] = {"client_ref", NULL};
	struct vp_register_request req;
	vp_code rc;

	memset(&req, 0, sizeof(req));
	rc = parse_body(body, len, register_field, &req, required, err);
	if (rc == VP_OK)
		rc = vp_ids_client_ref_check(req.client_ref, err);
	if (rc == VP_OK)
		*out = req;
	return rc;
}

static vp_code confirm_field(const char *key, json_t *value, void *ctx, struct vp_error *err)
{
	struct vp_confirm_request *req = ctx;

	if (strcmp(key, "vpc_peering_connection_id") == 0)
		return copy_string(value, key, req->peering_id, VP_AWS_ID_MAX, err);
	if (strcmp(key, "vpc_id") == 0)
		return copy_string(value, key, req->vpc_id, VP_AWS_ID_MAX, err);
	if (strcmp(key, "transit_gateway_attachment_id") == 0) /* the transit-gateway mode */
		return copy_string(value, key, req->attachment_id, VP_AWS_ID_MAX, err);
	if (strcmp(key, "client_ref") == 0) { /* optional: the registration meant */
		vp_code rc = copy_string(value, key, req->client_ref, VP_CLIENT_REF_MAX, err);
		return rc == VP_OK ? vp_ids_client_ref_check(req->client_ref, err) : rc;
	}
	return vp_fail(err, VP_ERR_INVALID,
		       "unknown field '%.64s' (expected vpc_peering_connection_id or "
		       "transit_gateway_attachment_id, vpc_id, client_ref)",
		       key);
}

vp_code vp_confirm_request_parse(const char *body, size_t len, struct vp_confirm_request *out,
				 struct vp_error *err)
{
	static const char *const required[] = {"vpc_id", NULL};
	struct vp_confirm_request req;
	vp_code rc;

	memset(&req, 0, sizeof(req));
	rc = parse_body(body, len, confirm_field, &req, required, err);
	/* A peering, or in the transit-gateway mode an attachment: the broker's mode decides
	 * which it takes. */
	if (rc == VP_OK && !req.peering_id[0] && !req.attachment_id[0])
		rc = vp_fail(err, VP_ERR_INVALID,
			     "vpc_peering_connection_id is missing (or, to a transit-gateway hub, "
			     "transit_gateway_attachment_id)");
	if (rc == VP_OK && req.peering_id[0] && req.attachment_id[0])
		rc = vp_fail(err, VP_ERR_INVALID,
			     "give vpc_peering_connection_id or transit_gateway_attachment_id, "
			     "not both");
	if (rc == VP_OK && req.attachment_id[0])
		rc = vp_ids_aws_id_check(req.attachment_id, "tgw-attach",
					 "transit_gateway_attachment_id", err);
	else if (rc == VP_OK && req.peering_id[0])
		rc = vp_ids_aws_id_check(req.peering_id, "pcx", "vpc_peering_connection_id", err);
	if (rc == VP_OK)
		rc = vp_ids_aws_id_check(req.vpc_id, "vpc", "vpc_id", err);
	if (rc == VP_OK)
		*out = req;
	return rc;
}

bool vp_route_on_listener(enum vp_route route, bool metrics_listener)
{
	if (route == VP_ROUTE_HEALTHZ || route == VP_ROUTE_READYZ)
		return true;
	return (route == VP_ROUTE_METRICS || vp_route_is_admin(route)) == metrics_listener;
}

bool vp_route_is_admin(enum vp_route route)
{
	return route == VP_ROUTE_ADMIN_ASSET || route == VP_ROUTE_ADMIN_SUMMARY ||
	       route == VP_ROUTE_ADMIN_NAMESPACES || route == VP_ROUTE_ADMIN_EVENTS;
}
