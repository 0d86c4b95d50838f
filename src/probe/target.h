/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A probe's target as given on the command line (or, later, in the client
 * template's HealthCheck list): HOST:PORT for a TCP connect, or an http://
 * or https:// URL that must answer 2xx or 3xx.
 *
 *	10.0.1.5:443   [fd00::5]:443   hub.example.internal:5432
 *	http://10.0.1.5:8080/health    https://hub.example.internal/ready
 *
 * HOST is an IPv4 address in four dotted parts, an IPv6 address in brackets
 * (no zone), or a DNS name (letters, digits, '-' and '_', labels of 1..63,
 * at most 253 characters, the last label not all digits, so that "10.1.2"
 * is refused rather than read by the resolver as 10.1.0.2). PORT is 1..65535
 * in plain decimal. A URL carries no user or password (the probe prints its
 * targets). The parsed target is plain storage: nothing to free.
 */
#ifndef VP_PROBE_TARGET_H
#define VP_PROBE_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define VP_PROBE_TARGET_MAX 2048 /* the text of one target, a URL included */
#define VP_PROBE_HOST_MAX   253  /* a DNS name's limit (RFC 1035); IPv6 text is shorter */

enum vp_probe_kind { VP_PROBE_TCP, VP_PROBE_HTTP, VP_PROBE_HTTPS };

struct vp_probe_target {
	enum vp_probe_kind kind;
	char host[VP_PROBE_HOST_MAX + 1]; /* without brackets; lower-case is not enforced */
	uint16_t port;                    /* the URL's default port when it names none */
	int family; /* AF_INET or AF_INET6 for an address, AF_UNSPEC for a name */
	char text[VP_PROBE_TARGET_MAX + 1]; /* as given: HOST:PORT or the URL */
};

/*
 * Parse text[0..len) (no NUL needed; a NUL inside is refused). VP_ERR_INVALID
 * with a message that names the problem and the expected form; *out is
 * written only on success.
 */
VP_NODISCARD vp_code vp_probe_target_parse(const char *text, size_t len,
					   struct vp_probe_target *out, struct vp_error *err);

/* "tcp", "http" or "https". */
const char *vp_probe_kind_name(enum vp_probe_kind kind);

#endif
