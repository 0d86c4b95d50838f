/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's request parsing: routes and both JSON bodies on arbitrary
 * bytes. Never crashes; what is accepted obeys the documented limits.
 * The first byte picks what the rest is fed to.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_route(const char *text)
{
	static const char *const methods[] = {"GET", "POST", "DELETE", "PUT"};
	struct vp_route_match m;

	for (int i = 0; i < 4; i++) {
		vp_code rc = vp_route_match(methods[i], text, &m, NULL);
		if (rc == VP_OK && m.namespace_id >= ((int64_t)1 << 31))
			abort();
		if (rc == VP_ERR_CONFLICT && !m.allowed_methods)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_register_request reg;
	struct vp_confirm_request conf;
	char *text;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		fuzz_route(text);
		break;
	case 1:
		if (vp_register_request_parse(text, size - 1, &reg, NULL) == VP_OK) {
			if (vp_ids_client_ref_check(reg.client_ref, NULL) != VP_OK ||
			    reg.label_count > VP_LABELS_MAX)
				abort();
		}
		break;
	default:
		if (vp_confirm_request_parse(text, size - 1, &conf, NULL) == VP_OK) {
			if (vp_ids_aws_id_check(conf.peering_id, "pcx", "id", NULL) != VP_OK ||
			    vp_ids_aws_id_check(conf.vpc_id, "vpc", "id", NULL) != VP_OK)
				abort();
		}
	}
	free(text);
	return 0;
}
