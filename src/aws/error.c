/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "aws/retry.h"
#include "aws/xml.h"

void vp_aws_error_clear(struct vp_aws_error *e)
{
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	e->error.code = VP_OK;
}

static void copy_text(char *dst, size_t cap, const xmlNode *node)
{
	xmlChar *text;

	dst[0] = '\0';
	if (!node)
		return;
	text = xmlNodeGetContent(node);
	if (!text)
		return;
	snprintf(dst, cap, "%s", (const char *)text);
	xmlFree(text);
}

vp_code vp_aws_error_parse(long http_status, const char *body, size_t len, struct vp_aws_error *e)
{
	xmlDoc *doc = NULL;
	const xmlNode *root, *error = NULL, *rid = NULL;
	vp_code rc = VP_ERR_INVALID;

	e->http_status = http_status;
	e->code[0] = e->message[0] = '\0';
	if (len == 0 || vp_aws_xml_parse(body, len, &doc, NULL) != VP_OK)
		return VP_ERR_INVALID;
	root = xmlDocGetRootElement(doc);
	if (vp_aws_xml_is(root, "ErrorResponse")) { /* IAM, STS */
		error = vp_aws_xml_child(root, "Error");
		rid = vp_aws_xml_child(root, "RequestId");
	} else if (vp_aws_xml_is(root, "Response")) { /* EC2 */
		error = vp_aws_xml_path(root, "Errors/Error");
		rid = vp_aws_xml_child(root, "RequestID");
		if (!rid)
			rid = vp_aws_xml_child(root, "RequestId");
	} else if (vp_aws_xml_is(root, "Error")) { /* the bare form some endpoints use */
		error = root;
		rid = vp_aws_xml_child(root, "RequestId");
	}
	if (error) {
		copy_text(e->code, sizeof(e->code), vp_aws_xml_child(error, "Code"));
		copy_text(e->message, sizeof(e->message), vp_aws_xml_child(error, "Message"));
		if (rid)
			copy_text(e->request_id, sizeof(e->request_id), rid);
		if (e->code[0])
			rc = VP_OK;
	}
	xmlFreeDoc(doc);
	return rc;
}

/* The code part of a REST-JSON type: after the last '#', before the first ':'. */
static void copy_type(char *dst, size_t cap, const char *type)
{
	const char *hash = strrchr(type, '#');
	const char *start = hash ? hash + 1 : type;
	size_t n = strcspn(start, ":");

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, start, n);
	dst[n] = '\0';
}

static const char *json_text(const json_t *obj, const char *a, const char *b)
{
	const char *v = json_string_value(json_object_get(obj, a));
	return v ? v : json_string_value(json_object_get(obj, b));
}

vp_code vp_aws_error_parse_json(long http_status, const char *error_type, const char *body,
				size_t len, struct vp_aws_error *e)
{
	json_t *doc = NULL;
	const char *type = NULL, *message = NULL;

	e->http_status = http_status;
	e->code[0] = e->message[0] = '\0';
	if (body && len > 0 && len <= VP_AWS_XML_MAX)
		doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(doc)) {
		type = json_text(doc, "__type", "code");
		message = json_text(doc, "message", "Message");
	}
	if (error_type && error_type[0])
		type = error_type;
	if (type)
		copy_type(e->code, sizeof(e->code), type);
	if (message)
		snprintf(e->message, sizeof(e->message), "%s", message);
	json_decref(doc);
	return e->code[0] ? VP_OK : VP_ERR_INVALID;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static bool in_list(const char *code, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(code, list[i]) == 0)
			return true;
	return false;
}

vp_code vp_aws_error_map(const char *code, long http_status)
{
	static const char *const auth[] = {"InvalidClientTokenId",
					   "SignatureDoesNotMatch",
					   "AuthFailure",
					   "ExpiredToken",
					   "ExpiredTokenException",
					   "IncompleteSignature",
					   "MissingAuthenticationToken",
					   "InvalidAccessKeyId",
					   "RequestExpired",
					   "InvalidIdentityToken",
					   "IDPRejectedClaim",
					   "MissingAuthenticationTokenException",
					   NULL};
	static const char *const forbidden[] = {
		"AccessDenied",  "AccessDeniedException",   "UnauthorizedOperation",
		"OptInRequired", "RegionDisabledException", NULL};
	static const char *const conflict[] = {
		"RouteAlreadyExists",
		"EntityAlreadyExists",
		"InvalidStateTransition",
		"IncorrectState",
		"DeleteConflict",
		"ConcurrentModification",
		"InvalidVpcPeeringConnectionState.DnsHostnamesDisabled",
		"UnmodifiableEntity",
		NULL};
	static const char *const invalid[] = {"MalformedPolicyDocument",
					      "ValidationError",
					      "InvalidParameter",
					      "InvalidParameterValue",
					      "InvalidParameterCombination",
					      "MissingParameter",
					      "InvalidAction",
					      "InvalidInput",
					      "PackedPolicyTooLarge",
					      "UnknownParameter",
					      "InvalidQueryParameter",
					      "MalformedQueryString",
					      NULL};

	if (!code || !code[0])
		return http_status >= 500 || http_status == 429 ? VP_ERR_UNAVAILABLE : VP_ERR_AWS;
	if (vp_aws_retry_is_throttling_code(code) || vp_aws_retry_is_transient_code(code))
		return VP_ERR_UNAVAILABLE;
	if (in_list(code, auth))
		return VP_ERR_AUTH;
	if (in_list(code, forbidden))
		return VP_ERR_FORBIDDEN;
	/* RAM: UnknownResourceException, "the specified resource was not found". */
	if (strcmp(code, "NoSuchEntity") == 0 || strcmp(code, "NoSuchEntityException") == 0 ||
	    strcmp(code, "UnknownResourceException") == 0 || ends_with(code, "NotFound") ||
	    ends_with(code, "NotFoundException"))
		return VP_ERR_NOT_FOUND;
	/* RAM: ResourceShareLimitExceededException, a share's quota (principals, resources). */
	if (strcmp(code, "LimitExceeded") == 0 || ends_with(code, "LimitExceeded") ||
	    ends_with(code, "QuotaExceeded") ||
	    strcmp(code, "ResourceShareLimitExceededException") == 0)
		return VP_ERR_EXHAUSTED;
	/* RAM: ResourceShareInvitationAlreadyAcceptedException, ...AlreadyRejectedException. */
	if (in_list(code, conflict) || ends_with(code, "AlreadyExists") ||
	    ends_with(code, "AlreadyAcceptedException") ||
	    ends_with(code, "AlreadyRejectedException") || ends_with(code, ".Duplicate"))
		return VP_ERR_CONFLICT;
	if (in_list(code, invalid) || strncmp(code, "Invalid", 7) == 0 ||
	    ends_with(code, ".Malformed"))
		return VP_ERR_INVALID;
	if (http_status >= 500)
		return VP_ERR_UNAVAILABLE;
	return VP_ERR_AWS;
}

vp_code vp_aws_error_finish(struct vp_aws_error *e, const char *what)
{
	vp_code code;
	char extra[VP_AWS_REQUEST_ID_MAX + 64];

	if (!e)
		return VP_ERR_AWS;
	code = vp_aws_error_map(e->code, e->http_status);
	if (e->request_id[0])
		snprintf(extra, sizeof(extra), "HTTP %ld, request id %s", e->http_status,
			 e->request_id);
	else
		snprintf(extra, sizeof(extra), "HTTP %ld", e->http_status);
	if (e->code[0])
		vp_fail(&e->error, code, "%s: %s: %s (%s%s)", what, e->code,
			e->message[0] ? e->message : "no message", extra,
			e->attempts > 1 ? ", after retries" : "");
	else
		vp_fail(&e->error, code, "%s: AWS answered HTTP %ld without an error document%s",
			what, e->http_status, e->attempts > 1 ? " (after retries)" : "");
	return code;
}

vp_code vp_aws_error_fail(struct vp_aws_error *e, vp_code code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code[0] = '\0';
	e->message[0] = '\0';
	e->error.code = code;
	va_start(ap, fmt);
	vsnprintf(e->error.message, sizeof(e->error.message), fmt, ap);
	va_end(ap);
	return code;
}

vp_code vp_aws_error_from(struct vp_aws_error *e, const struct vp_error *err)
{
	if (e && &e->error != err) {
		e->error = *err;
	}
	return err->code;
}
