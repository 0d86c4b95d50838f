/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the probe: one attempt at one target, by TCP (tcp.c) or HTTP (http.c). */
#ifndef VP_PROBE_INTERNAL_H
#define VP_PROBE_INTERNAL_H

#include <stdint.h>
#include <sys/socket.h>

#include "probe/probe.h"

/* What one attempt saw; probe.c turns the last one into the result's words. */
struct probe_attempt {
	enum vp_probe_outcome outcome;
	int sys_errno;    /* the connect's errno for refused, no route, error; else 0 */
	int64_t time_ms;  /* to connected, or to the HTTP answer */
	long http_status; /* 0 when none */
	char address[64];
	char local_address[64];
	char detail[256]; /* the resolver's or libcurl's own words, when they add something */
};

/*
 * The addresses of target (its own when it is an address), port set, into
 * addrs[0..VP_PROBE_MAX_ADDRESSES). The count, or 0 with a->outcome set
 * (not resolved, or an error) and a->detail filled.
 */
int probe_addresses(const struct vp_probe_target *target, const struct vp_probe_options *o,
		    struct sockaddr_storage *addrs, struct probe_attempt *a);

/* addr as text, without port: "10.0.1.5", "fd00::5". */
void probe_format_address(const struct sockaddr_storage *addr, char *out, size_t size);

/*
 * The source address this host would use towards addr (text), into out, or
 * "" when it has none: a UDP socket's connect() chooses it and sends nothing.
 */
void probe_source_address(const char *addr, char *out, size_t size);

/* One attempt of at most limit_ms: tcp.c connects, http.c asks. */
void probe_tcp_attempt(const struct vp_probe_target *target, const struct vp_probe_options *o,
		       int64_t limit_ms, struct probe_attempt *a);
void probe_http_attempt(const struct vp_probe_target *target, const struct vp_probe_options *o,
			int64_t limit_ms, struct probe_attempt *a);

/* An errno's words; strerror() is not thread-safe, and the probe runs a thread per target. */
const char *probe_errno_text(int e);

/* The outcome of a failed connect's errno (refused, no route, timed out, error). */
enum vp_probe_outcome probe_outcome_of_errno(int e);

#endif
