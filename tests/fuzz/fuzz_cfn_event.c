/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda handler's input: a CloudFormation custom-resource request on
 * arbitrary bytes, then both resource types' properties and the answer's
 * rendering (the transit-gateway mode's too); and the probe mode's event
 * and the HealthCheck list (issue 21). Never crashes; what is accepted obeys the documented
 * limits, and every answer rendered fits in CloudFormation's 4096 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/lambda.h"
#include "cfn/event.h"
#include "cfn/probe_mode.h"
#include "cfn/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_props(const struct vp_cfn_event *ev)
{
	struct vp_cfn_registration_props reg;
	struct vp_cfn_confirmation_props conf;
	struct vp_cfn_tgw_props tgw;

	if (vp_cfn_registration_props_parse(ev, NULL, &reg, NULL) == VP_OK) {
		if (!reg.broker.broker_url[0] ||
		    vp_ids_client_ref_check(reg.client_ref, NULL) != VP_OK ||
		    reg.subnet_count < 0 || reg.subnet_count > VP_CFN_SUBNET_KEYS_MAX)
			abort();
	}
	if (vp_cfn_confirmation_props_parse(ev, NULL, &conf, NULL) == VP_OK) {
		if (conf.namespace_id < 0 || conf.namespace_id > INT32_MAX ||
		    /* broker mode without VpcPeeringConnectionId: "" (the handler requests it) */
		    (vp_ids_aws_id_check(conf.peering_id, "pcx", "id", NULL) != VP_OK &&
		     !(conf.accepter == VP_CFN_ACCEPTER_BROKER && !conf.peering_id[0])) ||
		    vp_ids_aws_id_check(conf.vpc_id, "vpc", "id", NULL) != VP_OK ||
		    (conf.health_check[0] &&
		     (conf.health_count < 1 || conf.health_count > VP_PROBE_MAX_TARGETS ||
		      !vp_aws_lambda_function_name_valid(conf.probe_function))) ||
		    (!conf.health_check[0] && conf.probe_function[0]))
			abort();
	}
	if (vp_cfn_tgw_props_parse(ev, NULL, &tgw, NULL) == VP_OK) {
		if (vp_ids_aws_id_check(tgw.tgw_id, "tgw", "id", NULL) != VP_OK ||
		    tgw.subnet_count < 1 || tgw.subnet_count > VP_CFN_MAX_SUBNETS ||
		    strlen(tgw.share_arn) > VP_CFN_SHARE_ARN_MAX)
			abort();
		for (size_t i = 0; i < tgw.subnet_count; i++)
			if (vp_ids_aws_id_check(tgw.subnets[i], "subnet", "id", NULL) != VP_OK)
				abort();
	}
}

/* The probe function's event and the HealthCheck list: what is accepted is in bounds. */
static void check_probe(const char *text, size_t size)
{
	static struct vp_probe_target targets[VP_PROBE_MAX_TARGETS];
	struct vp_cfn_probe_event pev = {.targets = targets};
	int count = -1;

	if (vp_cfn_probe_event_parse(text, size, &pev, NULL) == VP_OK) {
		if (pev.count < 1 || pev.count > VP_PROBE_MAX_TARGETS || pev.timeout_ms < 1000 ||
		    pev.timeout_ms > (int64_t)VP_CFN_PROBE_TIMEOUT_MAX_S * 1000)
			abort();
		for (int i = 0; i < pev.count; i++)
			if (!targets[i].port || !targets[i].host[0])
				abort();
	}
	if (strlen(text) == size &&
	    vp_cfn_probe_list_parse(text, targets, VP_PROBE_MAX_TARGETS, &count, NULL) == VP_OK) {
		if (count < 1 || count > VP_PROBE_MAX_TARGETS)
			abort();
		for (int i = 0; i < count; i++)
			if (!targets[i].port || !targets[i].host[0] || strchr(targets[i].text, ','))
				abort();
	}
}

static void check_answer(const struct vp_cfn_event *ev)
{
	struct vp_cfn_response r = {
		.success = false,
		.reason = ev->defect.code != VP_OK ? ev->defect.message : "fuzz",
		.physical_id = ev->physical_id ? ev->physical_id : "vpcpeer-failed-x",
		.stack_id = ev->stack_id,
		.request_id = ev->request_id,
		.logical_id = ev->logical_id,
	};
	struct vp_buf out;

	vp_buf_init(&out, VP_CFN_RESPONSE_MAX);
	if (vp_cfn_response_render(&r, &out, NULL) == VP_OK && out.len > VP_CFN_RESPONSE_MAX)
		abort();
	vp_buf_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_cfn_event ev;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_probe(text, size);
	if (vp_cfn_event_parse(text, size, &ev, NULL) == VP_OK) {
		if (!ev.response_url || !ev.stack_id || !ev.request_id || !ev.logical_id ||
		    !ev.properties || strlen(ev.response_url) > VP_CFN_URL_MAX)
			abort();
		if (ev.request_type != VP_CFN_CREATE && ev.request_type != VP_CFN_UNKNOWN_REQUEST &&
		    !ev.physical_id && ev.defect.code == VP_OK)
			abort();
		check_props(&ev);
		check_answer(&ev);
		vp_cfn_event_cleanup(&ev);
	}
	free(text);
	return 0;
}
