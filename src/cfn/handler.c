/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handler's frame: a request in, dispatched by resource and request
 * type (handler_register.c, handler_confirm.c), its answer rendered, PUT to
 * the ResponseURL and logged; and the steps the resource types share
 * (handler_internal.h): the answer in the making and the broker calls.
 */
#include "cfn/handler.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cfn/handler_internal.h"
#include "cfn/response.h"
#include "client/broker_client.h"
#include "proof/proof.h"
#include "core/log.h"

#define MIN_CALL_MS 500 /* a broker call with less time than this is not worth starting */

static void __attribute__((format(printf, 3, 0)))
set_reason(struct vp_cfn_job *j, bool success, const char *fmt, va_list ap)
{
	j->success = success;
	vsnprintf(j->reason, sizeof(j->reason), fmt, ap);
}

void vp_cfn_job_succeed(struct vp_cfn_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(j, true, fmt, ap);
	va_end(ap);
}

void vp_cfn_job_fail(struct vp_cfn_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(j, false, fmt, ap);
	va_end(ap);
	json_decref(j->data);
	j->data = NULL;
}

void vp_cfn_job_set_physical_id(struct vp_cfn_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->physical_id, sizeof(j->physical_id), fmt, ap);
	va_end(ap);
}

/* The id of a failed answer: the request's own for Update/Delete, a recognisable one for Create. */
static void failure_physical_id(struct vp_cfn_job *j)
{
	if (j->ev->request_type != VP_CFN_CREATE && j->ev->physical_id)
		vp_cfn_job_set_physical_id(j, "%s", j->ev->physical_id);
	else
		vp_cfn_job_set_physical_id(j, VP_CFN_FAILED_PREFIX "%s", j->ev->request_id);
}

/* Milliseconds a broker call may take so that reserve_ms are left at the deadline. */
static long call_budget(const struct vp_cfn_job *j)
{
	int64_t left = j->deadline_ms - j->now() - j->reserve_ms;
	long max = j->cfg->max_call_ms > 0 ? j->cfg->max_call_ms : 30000;

	if (left < 0)
		return 0;
	return left < max ? (long)left : max;
}

/* Equal but for trailing slashes. */
static bool same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 0 && a[la - 1] == '/')
		la--;
	while (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

vp_code vp_cfn_job_pin_broker(const struct vp_cfn_job *j, struct vp_cfn_broker_props *bp,
			      struct vp_error *err)
{
	const char *url = j->cfg->broker_url, *sid = j->cfg->server_id;
	char pinned_id[VP_PROOF_SERVER_ID_MAX + 1];

	if (!url || !url[0])
		return vp_fail(
			err, VP_ERR_INVALID,
			"this function has no broker pinned in its configuration "
			"(VPCPEER_BROKER_URL, set by templates/client.yaml): it signs "
			"identity proofs for that broker only, never for one an event names");
	if (!same_url(bp->broker_url, url))
		return vp_fail(err, VP_ERR_INVALID,
			       "property BrokerUrl '%.200s' is not the broker this function is "
			       "pinned to ('%.200s', VPCPEER_BROKER_URL): it signs identity proofs "
			       "for no other broker",
			       bp->broker_url, url);
	if (sid && sid[0])
		snprintf(pinned_id, sizeof(pinned_id), "%s", sid);
	else if (vp_proof_default_server_id(url, pinned_id, sizeof(pinned_id), err) != VP_OK)
		return err ? err->code : VP_ERR_INVALID;
	if (bp->server_id[0] && strcmp(bp->server_id, pinned_id) != 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "property ServerId '%.200s' is not the server id this function is "
			       "pinned to ('%s', VPCPEER_SERVER_ID)",
			       bp->server_id, pinned_id);
	snprintf(bp->broker_url, sizeof(bp->broker_url), "%s", url);
	snprintf(bp->server_id, sizeof(bp->server_id), "%s", pinned_id);
	return VP_OK;
}

vp_code vp_cfn_job_broker_call(struct vp_cfn_job *j, const struct vp_cfn_broker_props *bp,
			       const char *method, const char *path, const char *body,
			       struct vp_broker_response *resp, struct vp_error *err)
{
	struct vp_broker_client_config cfg = {0};
	struct vp_broker_client *client = NULL;
	long budget = call_budget(j);
	vp_code rc;

	if (budget < MIN_CALL_MS)
		return vp_fail(err, VP_ERR_UNAVAILABLE,
			       "too little time is left before the Lambda deadline to call the "
			       "broker (%ld ms); raise the function's Timeout",
			       budget);
	cfg.base_url = bp->broker_url;
	cfg.server_id = bp->server_id[0] ? bp->server_id : NULL;
	cfg.ca_file = j->cfg->ca_file;
	if (j->cfg->broker_ca_file && j->cfg->broker_ca_file[0]) {
		/* libcurl would only say "error setting certificate file": name the setting. */
		if (access(j->cfg->broker_ca_file, R_OK) != 0)
			return vp_fail(err, VP_ERR_INVALID,
				       "the broker's CA file '%.200s' (VPCPEER_BROKER_CA_FILE, the "
				       "stack's BrokerCaFile parameter) cannot be read: %s; give a "
				       "path in the function's code or a layer (/opt/...)",
				       j->cfg->broker_ca_file, strerror(errno));
		cfg.ca_file = j->cfg->broker_ca_file;
	}
	cfg.aws = j->cfg->aws;
	cfg.timeout_ms = budget;
	cfg.connect_timeout_ms = budget < 10000 ? budget : 10000;
	rc = vp_broker_client_new(&cfg, &client, err);
	if (rc != VP_OK) {
		vp_error_prefix(err, "property BrokerUrl");
		return rc;
	}
	rc = vp_broker_client_call(client, method, path, body, resp, err);
	vp_broker_client_free(client);
	return rc;
}

static const char *status_hint(long status)
{
	switch (status) {
	case 401:
		return "; check that ServerId matches the broker's --server-id (by default "
		       "BrokerUrl's host:port) and that the function's role credentials are valid";
	case 403:
		return "; ask the hub operator to add this account with --allow-account";
	case 429:
	case 503:
		return "; the broker or AWS is busy: retry the stack operation later";
	default:
		return status >= 500 ? "; ask the hub operator to check the broker's log" : "";
	}
}

/* FAILED with what the broker said: "broker refused the registration: 403 forbidden: ...". */
void vp_cfn_job_refused(struct vp_cfn_job *j, const char *what, long status,
			const struct vp_buf *body)
{
	json_t *doc = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
	json_t *error = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *message = json_string_value(json_object_get(error, "message"));

	if (code && message)
		vp_cfn_job_fail(j, "broker refused the %s: %ld %s: %.600s%s", what, status, code,
				message, status_hint(status));
	else
		vp_cfn_job_fail(j, "broker refused the %s: HTTP %ld without an error object%s",
				what, status, status_hint(status));
	json_decref(doc);
}

void vp_cfn_job_unreachable(struct vp_cfn_job *j, const char *what, const struct vp_error *err)
{
	if (err->code == VP_ERR_IO)
		vp_cfn_job_fail(
			j,
			"cannot %s: %s; check BrokerUrl and that the function can reach the broker",
			what, err->message);
	else
		vp_cfn_job_fail(j, "cannot %s: %s", what, err->message);
}

/* The broker's namespace object, or NULL after answering FAILED. */
json_t *vp_cfn_job_namespace(struct vp_cfn_job *j, const struct vp_broker_response *resp)
{
	json_t *doc = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, NULL);
	json_t *n = json_object_get(doc, "NamespaceId");

	if (!json_is_object(doc) || !json_is_integer(n) || json_integer_value(n) < 0 ||
	    !json_is_string(json_object_get(doc, "State"))) {
		vp_cfn_job_fail(
			j,
			"the broker answered HTTP %ld without a namespace object (NamespaceId, "
			"State); is BrokerUrl a vpcpeer broker?",
			resp->status);
		json_decref(doc);
		return NULL;
	}
	j->namespace_id = json_integer_value(n);
	return doc;
}

static void dispatch(struct vp_cfn_job *j)
{
	const struct vp_cfn_event *ev = j->ev;

	j->action = "none";
	if (ev->defect.code != VP_OK) {
		vp_cfn_job_fail(j, "%s", ev->defect.message);
		return;
	}
	switch (ev->resource) {
	case VP_CFN_REGISTRATION:
		if (ev->request_type == VP_CFN_DELETE)
			vp_cfn_registration_delete(j);
		else
			vp_cfn_registration_upsert(j);
		return;
	case VP_CFN_CONFIRMATION:
		if (ev->request_type == VP_CFN_DELETE && vp_cfn_peering_owned(ev->physical_id)) {
			vp_cfn_peering_delete(j);
		} else if (ev->request_type == VP_CFN_DELETE && vp_cfn_tgw_owned(ev->physical_id)) {
			vp_cfn_tgw_delete(j);
		} else if (ev->request_type == VP_CFN_DELETE) {
			vp_cfn_job_set_physical_id(j, "%s", ev->physical_id);
			/* The registration's Delete undoes the routes and the number. */
			vp_cfn_job_succeed(
				j, "nothing to undo for a confirmation; deleting the registration "
				   "releases the namespace");
		} else {
			vp_cfn_confirmation_upsert(j);
		}
		return;
	default:
		if (ev->request_type == VP_CFN_DELETE) {
			vp_cfn_job_set_physical_id(j, "%s", ev->physical_id);
			vp_cfn_job_succeed(j, "nothing to delete: vpcpeer never creates a %.100s",
					   ev->resource_type);
		} else {
			vp_cfn_job_fail(j,
					"unsupported ResourceType '%.100s' (this handler "
					"serves " VP_CFN_REGISTRATION_TYPE
					" and " VP_CFN_CONFIRMATION_TYPE ")",
					ev->resource_type);
		}
	}
}

static void log_request(const struct vp_cfn_job *j, int64_t started, bool delivered,
			const struct vp_error *put_err)
{
	const struct vp_cfn_event *ev = j->ev;
	json_t *f = json_object();

	if (!f)
		return;
	json_object_set_new(f, "request_type",
			    json_string(ev->request_type_name ? ev->request_type_name : "unknown"));
	json_object_set_new(f, "resource_type",
			    json_string(ev->resource_type ? ev->resource_type : "unknown"));
	json_object_set_new(f, "logical_id", json_string(ev->logical_id));
	json_object_set_new(f, "stack_id", json_string(ev->stack_id));
	json_object_set_new(f, "cfn_request_id", json_string(ev->request_id));
	json_object_set_new(f, "action", json_string(j->action ? j->action : "none"));
	json_object_set_new(f, "status", json_string(j->success ? "SUCCESS" : "FAILED"));
	json_object_set_new(f, "physical_id", json_string(j->physical_id));
	if (j->namespace_id >= 0)
		json_object_set_new(f, "namespace", json_integer(j->namespace_id));
	json_object_set_new(f, "reason", json_string(j->reason));
	json_object_set_new(f, "delivered", json_boolean(delivered));
	if (!delivered && put_err)
		json_object_set_new(f, "error", json_string(put_err->message));
	json_object_set_new(f, "duration_ms", json_integer(j->now() - started));
	vp_log_event(delivered && j->success ? VP_LOG_INFO : VP_LOG_WARN, "custom resource request",
		     f);
}

/* Render the answer, falling back to FAILED without Data when it does not fit. */
static vp_code render(struct vp_cfn_job *j, struct vp_buf *out, struct vp_error *err)
{
	struct vp_cfn_response r = {
		.success = j->success,
		.reason = j->reason,
		.physical_id = j->physical_id,
		.stack_id = j->ev->stack_id,
		.request_id = j->ev->request_id,
		.logical_id = j->ev->logical_id,
		.data = j->data,
	};
	struct vp_error rerr;
	vp_code rc = vp_cfn_response_render(&r, out, &rerr);

	if (rc != VP_ERR_RANGE || !j->data)
		return rc == VP_OK ? VP_OK : vp_fail(err, rc, "%s", rerr.message);
	if (j->success && j->ev->request_type == VP_CFN_CREATE)
		failure_physical_id(j);
	vp_cfn_job_fail(j,
			"the response Data does not fit in CloudFormation's %d bytes (%s); nothing "
			"was returned",
			VP_CFN_RESPONSE_MAX, rerr.message);
	r.success = false;
	r.data = NULL;
	r.physical_id = j->physical_id;
	if ((rc = vp_cfn_response_render(&r, out, &rerr)) != VP_OK)
		return vp_fail(err, rc, "%s", rerr.message);
	return VP_OK;
}

vp_code vp_cfn_handle(const struct vp_cfn_handler_config *cfg, const char *event, size_t len,
		      int64_t deadline_ms, struct vp_cfn_result *result, struct vp_error *err)
{
	struct vp_cfn_put_options put = {0};
	struct vp_cfn_event ev;
	struct vp_error perr;
	struct vp_buf body;
	struct vp_cfn_job j;
	int64_t started;
	vp_code rc;

	memset(&j, 0, sizeof(j));
	j.cfg = cfg;
	j.now = cfg->now_ms ? cfg->now_ms : vp_cfn_now_ms;
	j.reserve_ms = cfg->reserve_ms > 0 ? cfg->reserve_ms : 2000;
	j.namespace_id = -1;
	started = j.now();
	j.deadline_ms =
		deadline_ms > 0
			? deadline_ms
			: started + (cfg->default_budget_ms > 0 ? cfg->default_budget_ms : 60000);
	memset(result, 0, sizeof(*result));
	result->namespace_id = -1;

	if (vp_cfn_event_parse(event, len, &ev, err) != VP_OK) {
		vp_log_event(VP_LOG_WARN, "event cannot be answered",
			     json_pack("{ss}", "error", err->message));
		return VP_ERR_INVALID;
	}
	j.ev = &ev;
	dispatch(&j);
	if (!j.success || !j.physical_id[0]) {
		if (j.success) /* a bug: every success names its resource */
			vp_cfn_job_fail(&j, "internal error: no PhysicalResourceId");
		failure_physical_id(&j);
	}

	vp_buf_init(&body, VP_CFN_RESPONSE_MAX);
	rc = render(&j, &body, err);
	if (rc != VP_OK) {
		log_request(&j, started, false, err);
		goto done;
	}
	put.ca_file = cfg->ca_file;
	put.attempts = cfg->put_attempts;
	put.retry_delay_ms = cfg->put_retry_delay_ms;
	put.deadline_ms = j.deadline_ms;
	put.now_ms = cfg->now_ms;
	rc = vp_cfn_response_put(ev.response_url, body.data, body.len, &put, &perr);
	log_request(&j, started, rc == VP_OK, &perr);
	result->success = j.success;
	snprintf(result->physical_id, sizeof(result->physical_id), "%s", j.physical_id);
	snprintf(result->reason, sizeof(result->reason), "%s", j.reason);
	result->namespace_id = j.namespace_id;
	if (rc != VP_OK) {
		rc = vp_fail(err, rc == VP_ERR_FORBIDDEN ? VP_ERR_FORBIDDEN : VP_ERR_IO, "%s",
			     perr.message);
		goto done;
	}
	result->answered = true;
done:
	vp_buf_cleanup(&body);
	json_decref(j.data);
	vp_cfn_event_cleanup(&ev);
	return rc;
}

vp_code vp_cfn_lambda_handler(void *ctx, const struct vp_lambda_invocation *inv,
			      struct vp_buf *response, char *error_type, size_t error_type_size,
			      struct vp_error *err)
{
	const struct vp_cfn_handler_config *cfg = ctx;
	struct vp_cfn_result result;
	json_t *doc;
	char *text;
	vp_code rc;

	rc = vp_cfn_handle(cfg, inv->event.data ? inv->event.data : "", inv->event.len,
			   inv->deadline_ms, &result, err);
	if (rc == VP_ERR_FORBIDDEN) {
		/* The ResponseURL refused the answer for good: a failed invocation would make
		 * Lambda repeat the request (and its broker calls) only to be refused again. */
		doc = json_pack("{ss ss sb ss}", "Status", result.success ? "SUCCESS" : "FAILED",
				"PhysicalResourceId", result.physical_id, "Delivered", 0, "Error",
				err ? err->message : "");
	} else if (rc != VP_OK) {
		snprintf(error_type, error_type_size, "%s",
			 rc == VP_ERR_INVALID ? "InvalidEvent"
			 : rc == VP_ERR_IO    ? "ResponseNotDelivered"
					      : "HandlerError");
		return rc;
	} else {
		doc = json_pack("{ss ss}", "Status", result.success ? "SUCCESS" : "FAILED",
				"PhysicalResourceId", result.physical_id);
	}
	text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text || vp_buf_appends(response, text) != VP_OK) {
		free(text);
		snprintf(error_type, error_type_size, "HandlerError");
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	free(text);
	return VP_OK;
}
