/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One request of the API, from its method and raw URI to its answer, for
 * every front end: the HTTP server (server.c, libmicrohttpd) and the API
 * Gateway function (apigw_handler.c, issue 18). No route is answered
 * anywhere else: a front end reads the request its own way, then calls
 *
 *	vp_dispatch_begin()   route it; 404, 405 and the listener's routes
 *	vp_dispatch_admit()   answer what needs no work, check the proof is there
 *	vp_dispatch_run()     verify the proof, the caller, its rate; run the handler
 *	vp_dispatch_headers() the answer's headers
 *	vp_dispatch_log()     the access-log line and the request metrics
 *
 * with its own checks in between (the server's per-source guard, a body
 * over the limit). Each step leaves the answer in r->call when it ends the
 * request.
 *
 * Memory: struct vp_dispatch is borrowed (the front end owns what it points
 * to); struct vp_dispatch_request is caller storage, vp_dispatch_request_init
 * and _cleanup (which wipes the proof and frees the answer). One thread per
 * request; the shared parts are thread-safe.
 */
#ifndef VP_API_DISPATCH_H
#define VP_API_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "api/access_log.h"
#include "api/handler.h"
#include "api/proxy.h"

struct vp_auth;
struct vp_broker;
struct vp_metrics;
struct vp_ratelimit;

/* What every request of one front end shares. */
struct vp_dispatch {
	struct vp_broker *broker;
	struct vp_auth *auth; /* NULL: a listener without /v1 routes */
	struct vp_metrics *metrics;
	struct vp_ratelimit *rate;
	double account_rate; /* for the 429's message */
	struct vp_api_ready_cache *ready;
	bool metrics_listener; /* serves /metrics and /admin, not /v1 (vp_route_on_listener) */
};

struct vp_dispatch_request {
	const struct vp_dispatch *d;
	char id[VP_REQUEST_ID_LEN + 1];
	char source[VP_PROXY_SOURCE_MAX]; /* the client's address, for limits and the log */
	double start;                     /* monotonic seconds */
	char method[16];
	const char *path; /* borrowed: the raw path, without the query */
	bool matched;
	struct vp_route_match match;
	char *authorization; /* the proof's copy, wiped after its verification */
	struct vp_identity identity;
	bool identified;
	struct vp_api_call call;
};

/* A new request of `d`: its id, its start time, an empty answer. */
void vp_dispatch_request_init(struct vp_dispatch_request *r, const struct vp_dispatch *d);
void vp_dispatch_request_cleanup(struct vp_dispatch_request *r);

/* What a step leaves to the front end. */
enum vp_dispatch_next {
	VP_DISPATCH_ANSWER,   /* r->call holds the answer (an error): send it now */
	VP_DISPATCH_RENDERED, /* r->call holds the answer of a route that needs no work */
	VP_DISPATCH_RUN,      /* call vp_dispatch_run() (on a thread that may block) */
	VP_DISPATCH_NOMEM,    /* out of memory: drop the request */
};

/*
 * Route `method` and the raw `uri` (the query after '?' is cut off at its
 * '?', which is overwritten: uri must be writable and outlive r). ANSWER for
 * an unknown path (404), a known path with another method (405) or a route
 * of the other listener (404); RUN when it matched.
 */
enum vp_dispatch_next vp_dispatch_begin(struct vp_dispatch_request *r, const char *method,
					char *uri);

/*
 * After the front end's own checks: RENDERED for /healthz and /metrics, RUN
 * for /readyz and the hub page's routes (no proof), and for the /v1 routes
 * with an Authorization value (copied); ANSWER (401) without one, or one
 * larger than VP_PROOF_MAX_HEADER.
 */
enum vp_dispatch_next vp_dispatch_admit(struct vp_dispatch_request *r, const char *authorization);

/* The body read for a RUN (borrowed until cleanup). */
void vp_dispatch_set_body(struct vp_dispatch_request *r, const char *body, size_t len);

/* Verify the proof, check the caller and its rate, run the route's handler: r->call answers. */
void vp_dispatch_run(struct vp_dispatch_request *r);

/*
 * The answer's headers, in order, to `add` (false stops: returns false):
 * Content-Type, X-Request-Id, Cache-Control, Retry-After, Allow, the
 * handler's, WWW-Authenticate for a 401.
 */
bool vp_dispatch_headers(const struct vp_dispatch_request *r,
			 bool (*add)(void *ctx, const char *name, const char *value), void *ctx);

/* One access-log line and the request metrics for an answer of `status`, or none (aborted). */
void vp_dispatch_log(const struct vp_dispatch_request *r, unsigned status, bool aborted);

/* Declare the metrics the steps write in m (declared already is fine). */
void vp_dispatch_declare_metrics(struct vp_metrics *m);

#endif
