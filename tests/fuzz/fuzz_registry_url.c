/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry URL parser over arbitrary bytes: never crashes, and a URL it
 * accepts names a backend, has a target, and shows no password.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_registry_url url;
	struct vp_error err;

	if (vp_registry_url_parse((const char *)data, size, &url, &err) != VP_OK) {
		if (err.code != VP_ERR_INVALID || !err.message[0])
			abort();
		return 0;
	}
	if (!url.target[0] || strlen(url.shown) > VP_REGISTRY_URL_CAP)
		abort();
	if (url.scheme == VP_REGISTRY_SQLITE && strlen(url.shown) != size)
		abort();
	return 0;
}
