/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe: does this host reach its targets, and if not, where to look.
 * Used by `vpcpeer probe` on a host in the client VPC (and meant for the
 * client template's probe function, which runs in that VPC too).
 *
 * Each target gets attempts until one succeeds or its deadline passes:
 * attempts of at most attempt_timeout_ms, interval_ms apart at first, the
 * wait doubling up to VP_PROBE_MAX_INTERVAL_MS, at most VP_PROBE_MAX_ATTEMPTS.
 * Targets are probed at the same time (one thread each), so the whole run
 * ends by the deadline whatever the number of targets. The result is the
 * last attempt's, in words a network engineer acts on (probe.c says why
 * each outcome points where it does). Nothing here prints.
 */
#ifndef VP_PROBE_PROBE_H
#define VP_PROBE_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "probe/target.h"

#define VP_PROBE_MAX_TARGETS     64
#define VP_PROBE_MAX_ATTEMPTS    100
#define VP_PROBE_MAX_INTERVAL_MS 5000
#define VP_PROBE_MAX_ADDRESSES   8    /* of a name's addresses, the first 8 are tried */
#define VP_PROBE_MESSAGE_MAX     1536 /* the longest words, with a 253-character name twice */

enum vp_probe_outcome {
	VP_PROBE_CONNECTED,    /* TCP connected; for a URL, a 2xx or 3xx answer */
	VP_PROBE_REFUSED,      /* the host answered with a reset: nothing listens */
	VP_PROBE_TIMED_OUT,    /* no answer at all: dropped on the way */
	VP_PROBE_NO_ROUTE,     /* this host's own routing sends it nowhere */
	VP_PROBE_NOT_RESOLVED, /* the name has no address here */
	VP_PROBE_HTTP_STATUS,  /* answered, with a status that is not 2xx or 3xx */
	VP_PROBE_NO_ANSWER,    /* connected, but no HTTP answer (closed, garbled, too slow) */
	VP_PROBE_TLS_FAILED,   /* connected, but the TLS handshake or certificate failed */
	VP_PROBE_ERROR,        /* this host could not try (out of sockets, memory, ...) */
};

/* "connected", "refused", "timed_out", ...: the JSON spelling. */
const char *vp_probe_outcome_name(enum vp_probe_outcome outcome);

/*
 * Resolve host (a DNS name) into at most max addresses with port set.
 * Returns the count (>= 1), 0 when the name does not resolve (*why says
 * how: gai_strerror's text), or -1 on a local failure. Tests inject one so
 * that "not resolved" needs no DNS server.
 */
typedef int (*vp_probe_resolve_fn)(const char *host, uint16_t port, struct sockaddr_storage *addrs,
				   int max, const char **why);

struct vp_probe_options {
	int64_t timeout_ms;          /* the deadline of each target, from the start */
	int64_t attempt_timeout_ms;  /* one attempt: connect (and, for a URL, the answer) */
	int64_t interval_ms;         /* the first wait between attempts */
	const char *ca_file;         /* https: a PEM bundle instead of the system's; may be NULL */
	vp_probe_resolve_fn resolve; /* NULL: getaddrinfo */
};

/* 10 s in all, 3 s per attempt, 1 s before the second attempt. */
void vp_probe_options_init(struct vp_probe_options *o);

struct vp_probe_result {
	enum vp_probe_outcome outcome;
	bool reached; /* outcome == VP_PROBE_CONNECTED */
	int attempts;
	int64_t time_ms;        /* the last attempt's: to connected, or to the HTTP answer */
	long http_status;       /* 0 when none */
	char address[64];       /* the target's address tried last ("" when none) */
	char local_address[64]; /* this host's address on that attempt ("" when unknown) */
	char message[VP_PROBE_MESSAGE_MAX];
};

/*
 * Probe targets[0..count) (count <= VP_PROBE_MAX_TARGETS), results[i] for
 * targets[i]. VP_OK when every target was probed, whatever the outcomes
 * (read results[].reached); VP_ERR_INVALID for bad options or count,
 * VP_ERR_INTERNAL when libcurl or a thread cannot start.
 */
VP_NODISCARD vp_code vp_probe_run(const struct vp_probe_target *targets, int count,
				  const struct vp_probe_options *options,
				  struct vp_probe_result *results, struct vp_error *err);

/* One target, in the calling thread (vp_probe_run uses it; so can a caller with one target). */
void vp_probe_one(const struct vp_probe_target *target, const struct vp_probe_options *options,
		  struct vp_probe_result *result);

#endif
