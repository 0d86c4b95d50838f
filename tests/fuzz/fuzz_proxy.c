/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PROXY protocol v2 header and X-Forwarded-For (api/proxy.h) on
 * arbitrary bytes: never crashes nor reads past the input; a complete header
 * is no longer than the input and at most VP_PROXY_HEADER_MAX; "need more"
 * asks for more than it has; a source is a printable address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_proxy_header h;
	struct vp_proxy_trust trust;
	struct vp_error err;
	char source[VP_PROXY_SOURCE_MAX], *text;
	size_t need = 0;

	if (vp_proxy_parse(data, size, &need, &h, &err) == VP_OK) {
		if (need && (need <= size || need > VP_PROXY_HEADER_MAX))
			abort();
		if (!need && (h.length > size || h.length > VP_PROXY_HEADER_MAX))
			abort();
		if (!need && !h.local) {
			vp_proxy_addr_string((const struct sockaddr *)&h.source, source);
			if (!strlen(source))
				abort();
		}
	} else if (!strlen(err.message)) {
		abort();
	}
	/* The same bytes as a header value and as a list of ranges. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (vp_proxy_trust_parse("10.0.0.0/8,2001:db8::/32", &trust, &err) != VP_OK)
		abort();
	if (vp_proxy_forwarded_for(&trust, text, source) && !strlen(source))
		abort();
	if (vp_proxy_trust_parse(text, &trust, &err) == VP_OK && trust.count > VP_PROXY_TRUST_MAX)
		abort();
	free(text);
	return 0;
}
