/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who the client is behind a load balancer (docs/serving.md "Behind a load
 * balancer"): the ranges of the load balancers the broker trusts
 * (--trusted-proxies), the PROXY protocol version 2 header that AWS's Network
 * Load Balancer sends before the first byte of the connection, and the
 * X-Forwarded-For header of an HTTP proxy. An address is believed only when
 * the peer that says it is in a trusted range: anyone can send the bytes.
 *
 * Plain values and pure functions; nothing to free; safe from any thread.
 */
#ifndef VP_API_PROXY_H
#define VP_API_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/error.h"

#define VP_PROXY_TRUST_MAX  32
#define VP_PROXY_SOURCE_MAX 46 /* INET6_ADDRSTRLEN: "2001:db8::1", "203.0.113.7" */
/* The longest PROXY v2 header taken: 16 bytes, the addresses and AWS's TLVs (< 100). */
#define VP_PROXY_HEADER_MAX 1024
#define VP_PROXY_PREFIX_LEN 16 /* signature, version and command, family, length */

struct vp_proxy_range {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;
};

struct vp_proxy_trust {
	struct vp_proxy_range ranges[VP_PROXY_TRUST_MAX];
	size_t count;
};

/*
 * A comma-separated list of CIDR blocks ("10.0.0.0/16,2001:db8::/32"; a bare
 * address is a /32 or /128). An empty string is no range. VP_ERR_INVALID
 * naming the entry; *out untouched then.
 */
VP_NODISCARD vp_code vp_proxy_trust_parse(const char *list, struct vp_proxy_trust *out,
					  struct vp_error *err);

/* Whether the address (AF_INET or AF_INET6) is in one of the ranges. */
bool vp_proxy_trusted(const struct vp_proxy_trust *trust, const struct sockaddr *sa);

/* The address of sa without its port ("203.0.113.7", "2001:db8::1"); "?" for another family. */
void vp_proxy_addr_string(const struct sockaddr *sa, char out[VP_PROXY_SOURCE_MAX]);

struct vp_proxy_header {
	size_t length; /* bytes of the whole header: the HTTP request starts after them */
	bool local;    /* a LOCAL command (the balancer's own check): the peer is the source */
	struct sockaddr_storage source; /* PROXY over TCP: the client's address and port */
	socklen_t source_len;
};

/*
 * A PROXY protocol v2 header at the start of buf (len bytes read so far).
 * VP_OK with *need 0 and *out filled when the whole header is there; VP_OK
 * with *need the total bytes needed (> len) when it is not yet; VP_ERR_INVALID
 * when the bytes are no PROXY v2 header (or a version 1 text header, or one
 * longer than VP_PROXY_HEADER_MAX, or an address family that is not TCP over
 * IPv4 or IPv6). The TLVs after the addresses are skipped.
 */
VP_NODISCARD vp_code vp_proxy_parse(const unsigned char *buf, size_t len, size_t *need,
				    struct vp_proxy_header *out, struct vp_error *err);

/*
 * The client named by an X-Forwarded-For value sent by a trusted proxy: the
 * rightmost address that is not itself in a trusted range (each proxy appends
 * the address it saw; only the part the trusted proxies appended can be
 * believed). false when the value holds no valid address there (then the
 * peer stays the source).
 */
bool vp_proxy_forwarded_for(const struct vp_proxy_trust *trust, const char *value,
			    char out[VP_PROXY_SOURCE_MAX]);

#endif
