/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda handler's input: a CloudFormation custom-resource request on
 * arbitrary bytes, then both resource types' properties and the answer's
 * rendering. Never crashes; what is accepted obeys the documented limits,
 * and every answer rendered fits in CloudFormation's 4096 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfn/event.h"
#include "cfn/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_props(const struct vp_cfn_event *ev)
{
	struct vp_cfn_registration_props reg;
	struct vp_cfn_confirmation_props conf;

	if (vp_cfn_registration_props_parse(ev, NULL, &reg, NULL) == VP_OK) {
		if (!reg.broker.broker_url[0] ||
		    vp_ids_client_ref_check(reg.client_ref, NULL) != VP_OK)
			abort();
	}
	if (vp_cfn_confirmation_props_parse(ev, NULL, &conf, NULL) == VP_OK) {
		if (conf.namespace_id < 0 || conf.namespace_id > INT32_MAX ||
		    vp_ids_aws_id_check(conf.peering_id, "pcx", "id", NULL) != VP_OK ||
		    vp_ids_aws_id_check(conf.vpc_id, "vpc", "id", NULL) != VP_OK ||
		    (conf.health_host[0] && (conf.health_port < 1 || conf.health_port > 65535)))
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
	char host[VP_CFN_HOST_MAX + 1];
	unsigned port;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (vp_cfn_host_port_parse(text, host, &port, NULL) == VP_OK && (port < 1 || port > 65535))
		abort();
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
