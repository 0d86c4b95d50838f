/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listener of `--proxy-protocol` (docs/serving.md "Behind a load
 * balancer"): libmicrohttpd cannot read a PROXY header before HTTP, so one
 * thread of ours accepts the connections, closes those whose peer is not in
 * the trusted ranges, reads each one's PROXY v2 header (proxy.h) within the
 * header deadline, and hands the socket to libmicrohttpd with
 * MHD_add_connection() under the client's address, the one the source caps,
 * the admission control and the access log then see. Not a byte of HTTP is
 * read here.
 */
#ifndef VP_API_PROXY_LISTEN_H
#define VP_API_PROXY_LISTEN_H

#include <microhttpd.h>

#include "api/proxy.h"
#include "core/error.h"

struct vp_metrics;
struct vp_proxy_listen;

/*
 * Serve listen_fd (a listening, non-blocking socket; it is the listener's
 * from now on, closed on stop even when start fails) for daemon, started
 * with MHD_USE_NO_LISTEN_SOCKET. header_ms bounds the wait for a header.
 * VP_ERR_IO, VP_ERR_NOMEM, VP_ERR_INTERNAL (no thread).
 */
VP_NODISCARD vp_code vp_proxy_listen_start(int listen_fd, const struct vp_proxy_trust *trust,
					   unsigned header_ms, struct MHD_Daemon *daemon,
					   struct vp_metrics *metrics, struct vp_proxy_listen **out,
					   struct vp_error *err);

/* Stop accepting: joins the thread, closes the socket and the headers not yet read. */
void vp_proxy_listen_stop(struct vp_proxy_listen *listener);

#endif
