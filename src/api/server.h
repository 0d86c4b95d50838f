/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's HTTP server (libmicrohttpd, its own thread pool): routing
 * (request.h), identity proofs (auth.h), the workflows (broker/broker.h),
 * JSON in and out, limits, metrics and one JSON access-log line per request.
 * One server serves the API (/v1, /healthz, /readyz; /metrics is 404 there)
 * and a second, metrics_only, serves /metrics, /healthz and /readyz on
 * --metrics-listen (docs/serving.md).
 * docs/api.md is the contract; docs/serving.md describes the limits, the
 * metrics and the log lines.
 *
 * Threads: libmicrohttpd's pool (`threads`) reads requests and writes
 * answers; the /v1 routes, which block on STS, the registry and AWS, run on
 * a pool of `workers` while their connection is suspended, so a slow
 * workflow never stalls other connections (health checks, metrics).
 *
 * vp_server_start() binds and serves until vp_server_stop(), which stops
 * accepting, lets in-flight requests finish within the configured bound and
 * frees everything. The broker, auth and metrics objects are borrowed and
 * must outlive the server. Start can also be split: vp_server_bind() binds
 * the socket (so the bound URL is known, e.g. for a default server id that
 * names the real port) and vp_server_run() starts serving on it.
 *
 * Its parts: listen.h (the address, the socket), tls.h (the PEM files),
 * guard.h (per-source caps, request deadlines), proxy.h and proxy_listen.h
 * (the client's address behind a load balancer),
 * ratelimit.h (the per-account token buckets), access_log.h (request ids, the
 * log line and the request metrics), handler.h (the routes' handlers).
 */
#ifndef VP_API_SERVER_H
#define VP_API_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/admission.h"
#include "proof/proof.h"
#include "core/error.h"

struct vp_auth;
struct vp_broker;
struct vp_metrics;

struct vp_server_config {
	const char *listen;        /* "HOST:PORT" ("127.0.0.1:8080", "[::1]:0"; port 0: any) */
	const char *tls_cert_file; /* both or neither: HTTPS */
	const char *tls_key_file;
	bool insecure_http;          /* allow plain HTTP on a non-loopback address */
	unsigned threads;            /* 0: 2 x cores */
	unsigned workers;            /* threads running /v1 calls; 0: 64 */
	unsigned max_connections;    /* 0: 1024 */
	unsigned connection_timeout; /* seconds idle; 0: 30 */
	size_t max_body;             /* 0: 16 KiB */
	double account_rate;         /* requests per second per account; 0: 20 */
	double account_burst;        /* 0: 40 */
	unsigned shutdown_grace;     /* seconds for in-flight requests on stop; 0: 10 */
	int ready_cache_ms;          /* /readyz reuses a check this long; 0: 1000; < 0: never */
	unsigned per_source;         /* open connections per source address; 0: 128 */
	unsigned request_deadline;   /* seconds for a request's headers and body; 0: 10 */
	unsigned max_queue;          /* /v1 requests waiting for a worker; 0: 256 */
	const char *trusted_proxies; /* CIDR,...: load balancers (api/proxy.h); NULL: none */
	bool proxy_protocol;         /* connections start with a PROXY v2 header */
	/* For the proof verifier (vp_auth_config.admission): kept here for the flags only. */
	struct vp_admission_config admission;
	/* Extra STS hosts proofs may be signed for (vp_proof_config.sts_hosts): --sts-endpoint. */
	const char *sts_hosts[VP_PROOF_MAX_STS_HOSTS];
	size_t sts_host_count;
	bool metrics_only; /* the --metrics-listen server: /metrics, /healthz, /readyz only */
};

/* The defaults above (all zero but listen = "127.0.0.1:8080" and admission's defaults). */
void vp_server_config_init(struct vp_server_config *cfg);

/* Inside the server (server_config.c): every zero field to its default, counts to bounds. */
void vp_server_config_fill(struct vp_server_config *cfg);

struct vp_server;

/*
 * Bind and serve. Errors: VP_ERR_INVALID (bad listen address, half a TLS
 * pair, plain HTTP on a non-loopback address without insecure_http), VP_ERR_IO
 * (an unreadable TLS file, the address cannot be bound), VP_ERR_INTERNAL
 * (libmicrohttpd refused to start). On failure *out is untouched.
 */
VP_NODISCARD vp_code vp_server_start(const struct vp_server_config *cfg, struct vp_broker *broker,
				     struct vp_auth *auth, struct vp_metrics *metrics,
				     struct vp_server **out, struct vp_error *err);

/* The first half of vp_server_start(): check the configuration, bind, listen. */
VP_NODISCARD vp_code vp_server_bind(const struct vp_server_config *cfg, struct vp_server **out,
				    struct vp_error *err);

/* The second half: serve on the bound socket. On failure the caller still stops the server. */
VP_NODISCARD vp_code vp_server_run(struct vp_server *server, struct vp_broker *broker,
				   struct vp_auth *auth, struct vp_metrics *metrics,
				   struct vp_error *err);

/*
 * HTTPS: read --tls-cert and --tls-key again; new connections get the new
 * certificate, the listener and open connections stay. On failure (the
 * error names the file) the old certificate stays. VP_ERR_INVALID on HTTP.
 */
VP_NODISCARD vp_code vp_server_reload_tls(struct vp_server *server, struct vp_error *err);

/* The URL it serves ("http://127.0.0.1:41234"), with the port actually bound. */
const char *vp_server_url(const struct vp_server *server);

/* The bound "host:port" ("127.0.0.1:41234", "[::1]:8443"): the default server id. */
const char *vp_server_host_port(const struct vp_server *server);

/* Stop (graceful, bounded by shutdown_grace) and free. NULL is a no-op. */
void vp_server_stop(struct vp_server *server);

#endif
