/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server's guard against slow and greedy clients (docs/serving.md
 * "Limits"): every open connection is known here with its source address
 * (the peer, the PROXY v2 source, or a trusted proxy's X-Forwarded-For),
 *  - a source may hold at most `per_source` connections (more are closed at
 *    once; a trusted load balancer's own connections are not counted, the
 *    clients it forwards for are);
 *  - a request must arrive whole, headers and body, within `deadline_ms` of
 *    its request line, and the next request line within `idle_ms` of the
 *    last answer (or of the connection's start): whole times, which a byte
 *    now and then does not reset. A reaper thread shuts such connections
 *    down; libmicrohttpd then closes them as if the client had left.
 * A request handed to a worker (its connection suspended) has no deadline.
 *
 * server.c installs vp_guard_notify() as libmicrohttpd's connection
 * callback and calls the vp_guard_request_*() functions from the
 * connection's thread. Thread-safe. vp_guard_new() / vp_guard_free().
 */
#ifndef VP_API_GUARD_H
#define VP_API_GUARD_H

#include <stdbool.h>

#include <microhttpd.h>

#include "api/proxy.h"
#include "core/error.h"

struct vp_metrics;

struct vp_guard_config {
	unsigned per_source;         /* open connections per source address; 0: no cap */
	unsigned deadline_ms;        /* one request's headers and body; 0: none */
	unsigned idle_ms;            /* for the next request line; 0: none */
	struct vp_proxy_trust trust; /* load balancers whose X-Forwarded-For is believed */
	bool proxy_protocol; /* sources come from PROXY v2 headers (proxy_listen.h): no XFF */
};

struct vp_guard;

/* Starts the reaper thread. VP_ERR_NOMEM, VP_ERR_INTERNAL (no thread). */
VP_NODISCARD vp_code vp_guard_new(const struct vp_guard_config *cfg, struct vp_metrics *metrics,
				  struct vp_guard **out, struct vp_error *err);

/* Stops the reaper and frees; after libmicrohttpd has stopped. NULL is a no-op. */
void vp_guard_free(struct vp_guard *guard);

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void vp_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		     enum MHD_ConnectionNotificationCode code);

/*
 * A request line arrived: its deadline starts. *source gets the
 * connection's source address. false when the connection was refused (over
 * its source's cap): answer nothing, close it.
 */
bool vp_guard_request_begin(struct vp_guard *guard, struct MHD_Connection *conn,
			    char source[VP_PROXY_SOURCE_MAX]);

/*
 * The headers are in: on a connection from a trusted proxy (without the
 * PROXY protocol) the X-Forwarded-For value (NULL: none) names the source,
 * written to *source, and that source's cap applies. false when it is over
 * its cap (answer 429 and close).
 */
bool vp_guard_forwarded(struct vp_guard *guard, struct MHD_Connection *conn, const char *xff,
			char source[VP_PROXY_SOURCE_MAX]);

/* The request is in (dispatched or answered): no deadline until it is done. */
void vp_guard_request_paused(struct vp_guard *guard, struct MHD_Connection *conn);

/* The request is over: the wait for the next request line starts. */
void vp_guard_request_done(struct vp_guard *guard, struct MHD_Connection *conn);

#endif
