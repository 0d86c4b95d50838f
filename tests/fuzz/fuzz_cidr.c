/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CIDR parsing: never crashes, and whatever it accepts formats back to the
 * very same text (so there is one spelling of each block).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct vp_error err;
	struct vp_cidr c;
	uint32_t addr;

	if (vp_cidr_parse(text, size, &c, &err) == VP_OK) {
		char out[VP_CIDR_STRLEN];
		vp_cidr_format(c, out);
		if (strlen(out) != size || memcmp(out, text, size) != 0)
			abort();
		if (c.prefix > 32 || (c.addr & ~vp_prefix_mask(c.prefix)))
			abort();
	} else if (strlen(err.message) == 0) {
		abort(); /* every refusal explains itself */
	}
	if (vp_ipv4_parse(text, size, &addr, &err) == VP_OK) {
		char out[VP_IPV4_STRLEN];
		vp_ipv4_format(addr, out);
		if (strlen(out) != size || memcmp(out, text, size) != 0)
			abort();
	}
	return 0;
}
