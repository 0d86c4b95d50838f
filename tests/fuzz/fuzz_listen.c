/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listen address of `vpcpeer serve` on arbitrary bytes: never crashes,
 * and what it accepts is a well-formed socket address with a usable URL host.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_listen_addr a;
	struct vp_error err;

	if (vp_listen_parse((const char *)data, size, &a, &err) != VP_OK) {
		if (strlen(err.message) == 0)
			abort();
		return 0;
	}
	if (a.port > 65535 || strlen(a.host) == 0 || strlen(a.host) >= sizeof(a.host))
		abort();
	if (a.family == AF_INET6 ? a.sa_len != sizeof(struct sockaddr_in6) || a.host[0] != '['
				 : a.family != AF_INET || a.sa_len != sizeof(struct sockaddr_in))
		abort();
	return 0;
}
