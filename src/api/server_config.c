/* SPDX-License-Identifier: Apache-2.0 */
/* The server's configuration: its defaults and bounds (docs/serving.md lists them). */
#include "api/server.h"

#include <string.h>
#include <unistd.h>

#include "api/request.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
/*
 * A /v1 call holds its worker while it waits on AWS (the proof's STS replay,
 * tens of ms): the workers bound the rate at workers / latency, 640 calls/s at
 * 32 workers and 50 ms. 64 give each of 64 clients a worker at once (1,280/s);
 * each worker costs its touched stack and its calls' memory (docs/serving.md).
 */
#define DEFAULT_WORKERS            64
#define DEFAULT_MAX_CONNECTIONS    1024
#define DEFAULT_CONNECTION_TIMEOUT 30
#define DEFAULT_RATE               20.0
#define DEFAULT_BURST              40.0
#define DEFAULT_GRACE              10
#define DEFAULT_READY_CACHE_MS     1000
#define DEFAULT_PER_SOURCE         128
#define DEFAULT_REQUEST_DEADLINE   10
#define DEFAULT_MAX_QUEUE          256
#define MAX_THREADS                256
#define MAX_WORKERS                1024

void vp_server_config_init(struct vp_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = DEFAULT_LISTEN;
	vp_admission_config_defaults(&cfg->admission);
}

void vp_server_config_fill(struct vp_server_config *c)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (!c->listen || !*c->listen)
		c->listen = DEFAULT_LISTEN;
	if (!c->threads)
		c->threads = (unsigned)(cores > 0 ? 2 * cores : 2);
	if (c->threads > MAX_THREADS)
		c->threads = MAX_THREADS;
	if (!c->workers)
		c->workers = DEFAULT_WORKERS;
	if (c->workers > MAX_WORKERS)
		c->workers = MAX_WORKERS;
	if (!c->max_connections)
		c->max_connections = DEFAULT_MAX_CONNECTIONS;
	if (!c->connection_timeout)
		c->connection_timeout = DEFAULT_CONNECTION_TIMEOUT;
	if (!c->max_body)
		c->max_body = VP_API_MAX_BODY;
	if (!(c->account_rate > 0))
		c->account_rate = DEFAULT_RATE;
	if (!(c->account_burst >= 1))
		c->account_burst = DEFAULT_BURST;
	if (!c->shutdown_grace)
		c->shutdown_grace = DEFAULT_GRACE;
	if (!c->ready_cache_ms)
		c->ready_cache_ms = DEFAULT_READY_CACHE_MS;
	if (!c->per_source)
		c->per_source = DEFAULT_PER_SOURCE;
	if (!c->request_deadline)
		c->request_deadline = DEFAULT_REQUEST_DEADLINE;
	if (!c->max_queue)
		c->max_queue = DEFAULT_MAX_QUEUE;
}
