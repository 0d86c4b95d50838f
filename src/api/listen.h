/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listen address of `vpcpeer serve`: "HOST:PORT" where HOST is an IPv4
 * literal ("127.0.0.1", "0.0.0.0"), an IPv6 literal in brackets ("[::1]",
 * "[::]") or "localhost" (127.0.0.1), and PORT is 0..65535 in plain decimal
 * (0: any free port). No name lookups: a broker binds what it is told.
 * The result is a plain value; nothing to free. vp_listen_open() then binds
 * it and listens.
 */
#ifndef VP_API_LISTEN_H
#define VP_API_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/error.h"

#define VP_LISTEN_MAX 64 /* longest accepted listen string */

struct vp_listen_addr {
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int family;                   /* AF_INET or AF_INET6 */
	unsigned port;                /* as given; 0: any */
	bool loopback;                /* 127.0.0.0/8 or ::1 */
	char host[VP_LISTEN_MAX + 3]; /* for URLs: "127.0.0.1" or "[::1]" */
};

/* Parse `len` bytes of `str`. VP_ERR_INVALID naming what is wrong. */
VP_NODISCARD vp_code vp_listen_parse(const char *str, size_t len, struct vp_listen_addr *out,
				     struct vp_error *err);

/*
 * A listening TCP socket on `addr` (non-blocking, close-on-exec, SO_REUSEADDR,
 * IPv6 only for an IPv6 address): *fd is the caller's to close, and
 * addr->port becomes the port actually bound. VP_ERR_IO naming `name` (the
 * listen address as the user gave it) and the reason; *fd untouched then.
 */
VP_NODISCARD vp_code vp_listen_open(struct vp_listen_addr *addr, const char *name, int *fd,
				    struct vp_error *err);

#endif
