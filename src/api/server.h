/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's HTTP server (libmicrohttpd, its own thread pool): routing
 * (request.h), identity proofs (auth.h), the workflows (broker/broker.h),
 * JSON in and out, limits, metrics and one JSON access-log line per request.
 * docs/api.md is the contract.
 *
 * vp_server_start() binds and serves until vp_server_stop(), which stops
 * accepting, lets in-flight requests finish within the configured bound and
 * frees everything. The broker, auth and metrics objects are borrowed and
 * must outlive the server.
 */
#ifndef VP_API_SERVER_H
#define VP_API_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct vp_auth;
struct vp_broker;
struct vp_metrics;

struct vp_server_config {
	const char *listen;           /* "HOST:PORT" ("127.0.0.1:8080", "[::1]:0"; port 0: any) */
	const char *tls_cert_file;    /* both or neither: HTTPS */
	const char *tls_key_file;
	bool insecure_http;           /* allow plain HTTP on a non-loopback address */
	unsigned threads;             /* 0: 2 x cores */
	unsigned max_connections;     /* 0: 1024 */
	unsigned connection_timeout;  /* seconds idle; 0: 30 */
	size_t max_body;              /* 0: 16 KiB */
	double account_rate;          /* requests per second per account; 0: 20 */
	double account_burst;         /* 0: 40 */
	unsigned shutdown_grace;      /* seconds for in-flight requests on stop; 0: 10 */
};

void vp_server_config_init(struct vp_server_config *cfg);

struct vp_server;

vp_code vp_server_start(const struct vp_server_config *cfg, struct vp_broker *broker,
			struct vp_auth *auth, struct vp_metrics *metrics, struct vp_server **out,
			struct vp_error *err);

/* The URL it serves ("http://127.0.0.1:41234"), with the port actually bound. */
const char *vp_server_url(const struct vp_server *server);

void vp_server_stop(struct vp_server *server);

#endif
