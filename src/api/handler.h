/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the HTTP server: one call of a route, as the server hands it to a
 * handler (namespaces.c, health.c) and as the handler answers it (render.c).
 * A handler runs on a worker thread for the /v1 routes (they block on the
 * registry and AWS) and on the server's own thread for the others.
 *
 * Memory: the inputs are borrowed for the call; the answer's payload is the
 * call's (vp_api_call_cleanup frees it).
 */
#ifndef VP_API_HANDLER_H
#define VP_API_HANDLER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/auth.h"
#include "api/request.h"

struct vp_broker;
struct vp_metrics;

/*
 * /readyz's last answer, shared by the calls of one server (server.c owns it:
 * vp_api_ready_cache_init/_cleanup): probes within ttl_ms of a check get its
 * answer, and concurrent ones wait for one registry query instead of each
 * sending their own.
 */
struct vp_api_ready_cache {
	pthread_mutex_t lock;
	int64_t ttl_ms;     /* <= 0: every probe queries the registry */
	int64_t checked_ms; /* monotonic time of the last check; 0: none yet */
	bool ready;
	const char *failed; /* the check that failed (vp_broker_readiness), or NULL */
};

void vp_api_ready_cache_init(struct vp_api_ready_cache *cache, int64_t ttl_ms);
void vp_api_ready_cache_cleanup(struct vp_api_ready_cache *cache);

struct vp_api_call {
	/* What the server gives a handler. */
	struct vp_broker *broker;
	struct vp_metrics *metrics;
	struct vp_route_match match;
	const struct vp_identity *caller; /* NULL on the routes without a proof */
	const char *request_id;
	struct vp_api_ready_cache *ready; /* /readyz; NULL: no cache */
	const char *body;
	size_t body_len;
	const char *query; /* after '?', not decoded */
	size_t query_len;

	/* What the handler answers. */
	unsigned status;
	char *payload;
	size_t payload_len;
	const char *content_type;
	const char *error_code;     /* the API error code (docs/api.md), NULL on success */
	unsigned retry_after;       /* seconds for Retry-After; 0: none */
	const char *allow;          /* for 405 */
	const char *const *headers; /* more headers: name, value, ..., NULL; NULL: none */
	int64_t n;                  /* the namespace answered about, or -1 (access log) */
};

void vp_api_call_cleanup(struct vp_api_call *call);

/* namespaces.c: the /v1/namespaces routes (call->caller is set). */
void vp_api_namespaces_list(struct vp_api_call *call);
void vp_api_namespaces_register(struct vp_api_call *call);
void vp_api_namespace_get(struct vp_api_call *call);
void vp_api_namespace_confirm(struct vp_api_call *call);
void vp_api_namespace_release(struct vp_api_call *call);

/* health.c: GET /healthz, /readyz, /metrics (no proof). */
void vp_api_healthz(struct vp_api_call *call);
void vp_api_readyz(struct vp_api_call *call);
void vp_api_metrics(struct vp_api_call *call);

#endif
