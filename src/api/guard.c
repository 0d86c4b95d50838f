/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard's connections are a list under one mutex (at most the server's
 * connection cap, 1,024 by default): a count by source is a walk of it.
 *
 * Closing from the reaper: shutdown(2) of the connection's socket, which
 * libmicrohttpd's polling thread sees as the client leaving. The socket stays
 * open while the connection is in the list: libmicrohttpd notifies
 * MHD_CONNECTION_NOTIFY_CLOSED, which removes it under the same mutex, before
 * it closes the descriptor, so a reaped descriptor is never another's.
 */
#include "api/guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

#define M_REFUSED          "vpcpeer_http_source_limited_total"
#define M_REAPED           "vpcpeer_http_request_deadline_total"
#define REAP_MIN_PERIOD_MS 50
#define REAP_MAX_PERIOD_MS 1000

enum conn_phase {
	PHASE_IDLE,      /* waiting for a request line since `since` */
	PHASE_RECEIVING, /* a request's headers and body since `since` */
	PHASE_PAUSED,    /* the request is in: a worker or the answer has it */
};

struct guard_conn {
	struct guard_conn *prev, *next;
	MHD_socket fd;
	char source[VP_PROXY_SOURCE_MAX];
	char peer[VP_PROXY_SOURCE_MAX]; /* the address libmicrohttpd has */
	bool balancer; /* the peer is a trusted proxy (XFF mode): its own address is not counted */
	bool counted;  /* counts against source's cap */
	bool refused;  /* over the cap: shut down */
	bool reaped;   /* past its deadline: shut down */
	enum conn_phase phase;
	int64_t since;
};

struct vp_guard {
	struct vp_guard_config cfg;
	struct vp_metrics *metrics;
	pthread_mutex_t lock; /* the list, every conn's fields, stop */
	pthread_cond_t wake;
	struct guard_conn *head;
	bool stop;
	bool reaper_started;
	pthread_t reaper;
};

static unsigned count_source(const struct vp_guard *g, const struct guard_conn *self)
{
	unsigned n = 0;

	for (const struct guard_conn *c = g->head; c; c = c->next)
		if (c != self && c->counted && !c->refused && strcmp(c->source, self->source) == 0)
			n++;
	return n;
}

static void count_metric(struct vp_guard *g, const char *name)
{
	if (g->metrics)
		vp_metrics_add(g->metrics, name, NULL, 1);
}

/* Called with the lock held: refuse c when its source holds its cap already. */
static bool admit_source(struct vp_guard *g, struct guard_conn *c)
{
	if (!g->cfg.per_source || !c->counted || count_source(g, c) < g->cfg.per_source)
		return true;
	c->refused = true;
	vp_log(VP_LOG_DEBUG, "closing a connection from %s: it holds %u already", c->source,
	       g->cfg.per_source);
	return false;
}

static int64_t limit_of(const struct vp_guard *g, enum conn_phase phase)
{
	if (phase == PHASE_RECEIVING)
		return g->cfg.deadline_ms;
	if (phase == PHASE_IDLE)
		return g->cfg.idle_ms;
	return 0;
}

static void *reaper_main(void *arg)
{
	struct vp_guard *g = arg;
	int64_t period = g->cfg.deadline_ms / 4;

	if (g->cfg.idle_ms && (!period || g->cfg.idle_ms / 4 < period))
		period = g->cfg.idle_ms / 4;
	period = period < REAP_MIN_PERIOD_MS   ? REAP_MIN_PERIOD_MS
		 : period > REAP_MAX_PERIOD_MS ? REAP_MAX_PERIOD_MS
					       : period;
	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec until = vp_clock_deadline(CLOCK_REALTIME, period);
		int64_t now;
		unsigned reaped = 0;

		pthread_cond_timedwait(&g->wake, &g->lock, &until);
		now = vp_clock_monotonic_ms();
		for (struct guard_conn *c = g->head; c; c = c->next) {
			int64_t limit = limit_of(g, c->phase);
			if (c->reaped || c->refused || !limit || now - c->since <= limit)
				continue;
			c->reaped = true;
			shutdown(c->fd, SHUT_RDWR);
			reaped++;
			vp_log(VP_LOG_DEBUG, "closing a connection from %s: %s past %lld ms",
			       c->source, c->phase == PHASE_RECEIVING ? "request" : "idle",
			       (long long)limit);
		}
		if (reaped && g->metrics)
			vp_metrics_add(g->metrics, M_REAPED, NULL, reaped);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

vp_code vp_guard_new(const struct vp_guard_config *cfg, struct vp_metrics *metrics,
		     struct vp_guard **out, struct vp_error *err)
{
	struct vp_guard *g = calloc(1, sizeof(*g));
	int e;

	if (!g)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for the connection guard");
	g->cfg = *cfg;
	g->metrics = metrics;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	if (metrics) {
		struct vp_error ignored;
		vp_ignore(vp_metrics_declare(
			metrics, M_REFUSED, VP_METRIC_COUNTER,
			"Connections closed at once: their source held its cap already.",
			&ignored));
		vp_ignore(vp_metrics_declare(metrics, M_REAPED, VP_METRIC_COUNTER,
					     "Connections closed past the request deadline or "
					     "the wait for a request.",
					     &ignored));
	}
	e = pthread_create(&g->reaper, NULL, reaper_main, g);
	g->reaper_started = e == 0;
	if (g->reaper_started) {
		*out = g;
		return VP_OK;
	}
	vp_guard_free(g);
	return vp_fail(err, VP_ERR_INTERNAL, "cannot start the reaper: %s", strerror(e));
}

void vp_guard_free(struct vp_guard *g)
{
	if (!g)
		return;
	if (g->reaper_started) {
		pthread_mutex_lock(&g->lock);
		g->stop = true; /* the reaper wakes and returns */
		pthread_cond_broadcast(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->reaper, NULL);
	}
	/* libmicrohttpd has stopped: it notified every close, the list is empty. */
	while (g->head) {
		struct guard_conn *c = g->head;
		g->head = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static void conn_started(struct vp_guard *g, struct MHD_Connection *conn, void **ctx)
{
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *addr =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct guard_conn *c = calloc(1, sizeof(*c));
	bool admitted;

	if (!c || !fd) {
		free(c);
		return; /* unguarded: the request callbacks see no context and refuse it */
	}
	c->fd = fd->connect_fd;
	vp_proxy_addr_string(addr ? addr->client_addr : NULL, c->peer);
	memcpy(c->source, c->peer, sizeof(c->source));
	c->balancer = !g->cfg.proxy_protocol && addr &&
		      vp_proxy_trusted(&g->cfg.trust, addr->client_addr);
	c->counted = !c->balancer;
	c->phase = PHASE_IDLE;
	c->since = vp_clock_monotonic_ms();
	pthread_mutex_lock(&g->lock);
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
	admitted = admit_source(g, c);
	if (!admitted)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&g->lock);
	if (!admitted)
		count_metric(g, M_REFUSED);
	*ctx = c;
}

static void conn_closed(struct vp_guard *g, void **ctx)
{
	struct guard_conn *c = *ctx;

	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->lock);
	free(c);
	*ctx = NULL;
}

void vp_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		     enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(cls, conn, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		conn_closed(cls, socket_context);
}

static struct guard_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* Move c to phase from now on; its source into *source when asked. false: c is refused. */
static bool set_phase(struct vp_guard *g, struct MHD_Connection *conn, enum conn_phase phase,
		      char *source)
{
	struct guard_conn *c = conn_of(conn);
	bool ok;

	if (!c)
		return false;
	pthread_mutex_lock(&g->lock);
	c->phase = phase;
	c->since = vp_clock_monotonic_ms();
	if (phase == PHASE_IDLE && c->balancer) {
		c->counted = false; /* the next request may be another client's */
		memcpy(c->source, c->peer, sizeof(c->source));
	}
	if (source)
		memcpy(source, c->source, VP_PROXY_SOURCE_MAX);
	ok = !c->refused && !c->reaped;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

bool vp_guard_request_begin(struct vp_guard *g, struct MHD_Connection *conn,
			    char source[VP_PROXY_SOURCE_MAX])
{
	return set_phase(g, conn, PHASE_RECEIVING, source);
}

void vp_guard_request_paused(struct vp_guard *g, struct MHD_Connection *conn)
{
	set_phase(g, conn, PHASE_PAUSED, NULL);
}

void vp_guard_request_done(struct vp_guard *g, struct MHD_Connection *conn)
{
	set_phase(g, conn, PHASE_IDLE, NULL);
}

bool vp_guard_forwarded(struct vp_guard *g, struct MHD_Connection *conn, const char *xff,
			char source[VP_PROXY_SOURCE_MAX])
{
	struct guard_conn *c = conn_of(conn);
	char client[VP_PROXY_SOURCE_MAX];
	bool ok = true;

	if (!c || !c->balancer || !xff || !vp_proxy_forwarded_for(&g->cfg.trust, xff, client))
		return c != NULL;
	pthread_mutex_lock(&g->lock);
	memcpy(c->source, client, sizeof(client));
	memcpy(source, client, sizeof(client));
	c->counted = true;
	if (!admit_source(g, c)) {
		c->refused = false; /* the balancer's connection stays; this request is refused */
		c->counted = false;
		ok = false;
	}
	pthread_mutex_unlock(&g->lock);
	if (!ok)
		count_metric(g, M_REFUSED);
	return ok;
}
