/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Custom::PeeringConfirmation (docs/lambda.md): Create and Update confirm
 * the peering with the broker, then, with a HealthCheck, have the probe
 * function (ProbeFunction, in the client VPC) probe its targets through it
 * until the time is up. Delete has
 * nothing to undo (handler.c answers it). In broker mode without a
 * VpcPeeringConnectionId the handler requests the peering first
 * (handler_peering.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/lambda.h"
#include "cfn/handler_internal.h"
#include "cfn/probe_mode.h"
#include "core/clock.h"

#define CONFIRMATION_PREFIX "vpcpeer-confirm-"
/* Besides the probe's own time: Lambda starting the function (a cold start in a VPC) and the
 * answer coming back. */
#define VP_CFN_PROBE_OVERHEAD_MS 10000
/* The time one more confirm needs: the broker answers within 25 s (issue 18). */
#define VP_CFN_CONFIRM_ROOM_MS 27000
/* Retries of "in progress" stop after this in all: what AWS has not done by then (an outage,
 * not a peering still provisioning) fails the resource with the broker's reason. */
#define VP_CFN_CONFIRM_RETRY_MS 60000

/* Appends "; <target>: <outcome>: <message>" of each target not reached to why[]. */
static int unreached(const json_t *answer, char *why, size_t size)
{
	const json_t *list = json_object_get(answer, "Targets"), *t;
	size_t i, used = strlen(why);
	int n = 0;

	json_array_foreach(list, i, t)
	{
		const char *target = json_string_value(json_object_get(t, "Target"));
		const char *outcome = json_string_value(json_object_get(t, "Outcome"));
		const char *message = json_string_value(json_object_get(t, "Message"));
		int w;

		if (json_is_true(json_object_get(t, "Reached")))
			continue;
		n++;
		if (used >= size - 1)
			continue;
		w = snprintf(why + used, size - used, "%s%s: %s: %s", n == 1 ? "" : "; ",
			     target ? target : "?", outcome ? outcome : "?",
			     message ? message : "");
		used = w < 0 ? used : used + (size_t)w >= size ? size - 1 : used + (size_t)w;
	}
	return n;
}

/*
 * A 503 (or 429) from confirm is retryable (docs/api.md: "in progress", a
 * peering EC2 does not show yet, the broker busy): wait its Retry-After
 * (1..10 s) and say true while the deadline leaves room for another whole
 * confirm (the broker answers within 25 s), for at most
 * VP_CFN_CONFIRM_RETRY_MS since the first try (`since`).
 */
static bool confirm_again(struct vp_cfn_job *j, const struct vp_broker_response *resp,
			  int64_t since)
{
	int64_t delay = resp->retry_after_s > 0 ? resp->retry_after_s * 1000 : 2000;
	int64_t now = j->now();

	if (resp->status != 503 && resp->status != 429)
		return false;
	delay = delay > 10000 ? 10000 : delay;
	if (j->deadline_ms - j->reserve_ms - now - delay < VP_CFN_CONFIRM_ROOM_MS ||
	    now + delay - since > VP_CFN_CONFIRM_RETRY_MS)
		return false;
	vp_clock_sleep_ms(delay);
	return true;
}

/*
 * Invoke the probe with the time left. The permission to invoke it
 * (ProbeInvokePolicy) is made just before this resource, and IAM changes take
 * time to be seen everywhere ("Changes that I make are not always immediately
 * visible", IAM User Guide, Troubleshooting IAM:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html):
 * an AccessDeniedException is tried again a few times while the time allows.
 */
static bool invoke(struct vp_cfn_job *j, const char *function, const char *payload,
		   struct vp_buf *answer, struct vp_aws_lambda_result *lr,
		   struct vp_aws_error *aerr)
{
	long delay = j->cfg->invoke_retry_delay_ms > 0 ? j->cfg->invoke_retry_delay_ms : 2000;

	for (int attempt = 1;; attempt++) {
		int64_t left = j->deadline_ms - j->reserve_ms - j->now();
		if (vp_aws_lambda_invoke(j->cfg->aws, function, payload,
					 (long)(left < 1000 ? 1000 : left), answer, lr,
					 aerr) == VP_OK)
			return true;
		if (strcmp(aerr->code, "AccessDeniedException") != 0 || attempt == 4 ||
		    left - delay * attempt < VP_CFN_PROBE_OVERHEAD_MS + 1000)
			return false;
		vp_clock_sleep_ms(delay * attempt);
	}
}

/*
 * The HealthCheck (issue 21): this handler runs outside the client VPC, so it
 * cannot reach a private hub address itself; it invokes the probe function,
 * which runs in the VPC's private subnets (templates/client.yaml), and waits
 * for its answer. Lambda Invoke, RequestResponse:
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
static bool health_check(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p)
{
	struct vp_probe_target *targets = calloc(VP_PROBE_MAX_TARGETS, sizeof(*targets));
	long limit = j->cfg->health_timeout_ms > 0 ? j->cfg->health_timeout_ms : 20000;
	int64_t left = j->deadline_ms - j->reserve_ms - j->now();
	struct vp_aws_lambda_result lr;
	struct vp_aws_error aerr;
	struct vp_error err;
	struct vp_buf answer;
	json_t *req = NULL, *list = NULL, *doc = NULL;
	char *payload = NULL, why[VP_CFN_REASON_MAX];
	int count = 0;
	bool ok = false;

	vp_buf_init(&answer, VP_CFN_PROBE_EVENT_MAX);
	if (!targets) {
		vp_cfn_job_fail(j, "out of memory");
		goto done;
	}
	if (vp_cfn_probe_list_parse(p->health_check, targets, VP_PROBE_MAX_TARGETS, &count, &err) !=
	    VP_OK) {
		vp_cfn_job_fail(j, "property HealthCheck: %s", err.message);
		goto done;
	}
	/* The probe's time, and Lambda's start of the function and its answer within ours. */
	if (left - VP_CFN_PROBE_OVERHEAD_MS < 1000) {
		vp_cfn_job_fail(j,
				"health check: too little time left to invoke the probe function "
				"%s; raise the handler's Timeout",
				p->probe_function);
		goto done;
	}
	if (limit > left - VP_CFN_PROBE_OVERHEAD_MS)
		limit = (long)(left - VP_CFN_PROBE_OVERHEAD_MS);
	list = json_array();
	for (int i = 0; list && i < count; i++)
		if (json_array_append_new(list, json_string(targets[i].text)) != 0)
			json_decref(list), list = NULL;
	req = list ? json_pack("{so sI}", "targets", list, "timeout_s",
			       (json_int_t)(limit < 1000 ? 1 : limit / 1000))
		   : NULL;
	payload = req ? json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!payload) {
		vp_cfn_job_fail(j, "out of memory");
		goto done;
	}
	if (!invoke(j, p->probe_function, payload, &answer, &lr, &aerr)) {
		vp_cfn_job_fail(j,
				"health check: cannot invoke the probe function %s: %s; the "
				"handler's role may invoke it (lambda:InvokeFunction) and no other",
				p->probe_function, aerr.error.message);
		goto done;
	}
	doc = json_loadb(answer.data ? answer.data : "", answer.len, 0, NULL);
	if (lr.function_error) {
		const char *type = json_string_value(json_object_get(doc, "errorType"));
		const char *msg = json_string_value(json_object_get(doc, "errorMessage"));
		vp_cfn_job_fail(j, "health check: the probe function %s failed (%s): %s%s%s",
				p->probe_function, lr.error_kind, type ? type : "",
				type ? ": " : "", msg ? msg : "no message");
		goto done;
	}
	if (!json_is_boolean(json_object_get(doc, "Reached")) ||
	    !json_is_array(json_object_get(doc, "Targets"))) {
		vp_cfn_job_fail(j,
				"health check: the probe function %s answered no probe result "
				"(is it this template's ProbeFunction, in probe mode?)",
				p->probe_function);
		goto done;
	}
	if (json_is_true(json_object_get(doc, "Reached"))) {
		ok = true;
		goto done;
	}
	why[0] = '\0';
	count = unreached(doc, why, sizeof(why));
	vp_cfn_job_fail(j,
			"health check from this VPC failed for %d target%s: %s (vpcpeer probe from "
			"a host in this VPC tells the same; docs/client.md)",
			count, count == 1 ? "" : "s", why);
done:
	json_decref(doc);
	json_decref(req);
	free(payload);
	free(targets);
	vp_buf_cleanup(&answer);
	return ok;
}

bool vp_cfn_job_confirm(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p,
			const char *pcx)
{
	struct vp_broker_response resp;
	struct vp_error err;
	char path[64], number[24];
	char *body = NULL;
	json_t *ns = NULL, *req;
	const char *state, *id_key = "vpc_peering_connection_id",
			   *data_key = "VpcPeeringConnectionId";
	int64_t since;
	bool ok = false;

	j->namespace_id = p->namespace_id;
	/* The transit-gateway mode (handler_tgw.c) confirms an attachment instead (issue 16). */
	if (strncmp(pcx, "tgw-attach-", 11) == 0)
		id_key = "transit_gateway_attachment_id", data_key = "TransitGatewayAttachmentId";
	req = json_pack("{ss ss}", id_key, pcx, "vpc_id", p->vpc_id);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		vp_cfn_job_fail(j, "out of memory");
		return false;
	}
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64 "/confirm", p->namespace_id);
	vp_broker_response_init(&resp);
	since = j->now();
	for (;;) {
		if (vp_cfn_job_broker_call(j, &p->broker, "POST", path, body, &resp, &err) !=
		    VP_OK) {
			vp_cfn_job_unreachable(j, "confirm the peering with the broker", &err);
			goto done;
		}
		if (!confirm_again(j, &resp, since))
			break;
		vp_broker_response_cleanup(&resp);
		vp_broker_response_init(&resp);
	}
	if (resp.status != 200) {
		vp_cfn_job_refused(j, "confirmation", resp.status, &resp.body);
		if (resp.status == 404)
			snprintf(j->reason + strlen(j->reason),
				 sizeof(j->reason) - strlen(j->reason),
				 "; NamespaceId must be this stack's Registration.NamespaceId");
		goto done;
	}
	if (!(ns = vp_cfn_job_namespace(j, &resp)))
		goto done;
	state = json_string_value(json_object_get(ns, "State"));
	if (strcmp(state, "active") != 0) {
		vp_cfn_job_fail(j,
				"the broker answered the confirmation of namespace %" PRId64
				" with state "
				"%s, not active",
				j->namespace_id, state);
		goto done;
	}
	if (!vp_cfn_zone_join(j, p, ns, path, body))
		goto done;
	if (p->health_check[0] && !health_check(j, p))
		goto done;
	snprintf(number, sizeof(number), "%" PRId64, p->namespace_id);
	j->data = json_pack("{ss ss ss ss ss}", "NamespaceId", number, "State", state, data_key,
			    pcx, "VpcId", p->vpc_id, "HostedZoneId",
			    json_string_value(json_object_get(ns, "HostedZoneId"))
				    ? json_string_value(json_object_get(ns, "HostedZoneId"))
				    : "");
	if (!j->data) {
		vp_cfn_job_fail(j, "out of memory building the response Data");
		goto done;
	}
	ok = true;
done:
	json_decref(ns);
	free(body);
	vp_broker_response_cleanup(&resp);
	return ok;
}

void vp_cfn_confirmation_upsert(struct vp_cfn_job *j)
{
	struct vp_cfn_confirmation_props p;
	struct vp_error err;

	j->action = "confirm";
	if (vp_cfn_confirmation_props_parse(j->ev, NULL, &p, &err) != VP_OK ||
	    vp_cfn_job_pin_broker(j, &p.broker, &err) != VP_OK) {
		vp_cfn_job_fail(j, "%s", err.message);
		return;
	}
	j->namespace_id = p.namespace_id;
	if (vp_cfn_tgw_wanted(j->ev)) {
		vp_cfn_tgw_upsert(j, &p);
		return;
	}
	if (p.accepter == VP_CFN_ACCEPTER_BROKER && !p.peering_id[0]) {
		vp_cfn_peering_upsert(j, &p);
		return;
	}
	if (!vp_cfn_job_confirm(j, &p, p.peering_id))
		return;
	vp_cfn_job_set_physical_id(j, CONFIRMATION_PREFIX "%" PRId64, p.namespace_id);
	vp_cfn_job_succeed(j, "namespace %" PRId64 " confirmed with %s%s", p.namespace_id,
			   p.peering_id, p.health_check[0] ? "; health check passed" : "");
}
