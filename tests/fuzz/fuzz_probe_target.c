/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe's target parser: never crashes, every refusal says why, and what
 * it accepts is what it was given: the text kept exactly, a port 1..65535, a
 * host that is the address family it claims (or a name of at most 253
 * characters), and for HOST:PORT one spelling only (host and port print
 * back to the very same text).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fuzz_check.h"
#include "probe/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct vp_probe_target t;
	struct vp_error err;
	unsigned char addr[16];
	size_t host_len;
	vp_code rc = vp_probe_target_parse(text, size, &t, &err);

	fuzz_refused_with_reason(rc, &err);
	if (rc != VP_OK)
		return 0;
	host_len = strnlen(t.host, sizeof(t.host));
	if (strlen(t.text) != size || memcmp(t.text, text, size) != 0 || t.port == 0 ||
	    host_len == 0 || host_len > VP_PROBE_HOST_MAX)
		abort();
	if ((t.family == AF_INET && inet_pton(AF_INET, t.host, addr) != 1) ||
	    (t.family == AF_INET6 && inet_pton(AF_INET6, t.host, addr) != 1) ||
	    (t.family == AF_UNSPEC && strchr(t.host, ':')))
		abort();
	if ((t.kind == VP_PROBE_HTTP) != (strncasecmp(t.text, "http://", 7) == 0) ||
	    (t.kind == VP_PROBE_HTTPS) != (strncasecmp(t.text, "https://", 8) == 0))
		abort();
	if (t.kind == VP_PROBE_TCP) {
		char again[VP_PROBE_TARGET_MAX + 1];
		snprintf(again, sizeof(again), t.family == AF_INET6 ? "[%s]:%u" : "%s:%u", t.host,
			 (unsigned)t.port);
		if (strcmp(again, t.text) != 0)
			abort();
	}
	return 0;
}
