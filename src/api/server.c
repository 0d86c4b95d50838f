/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server: libmicrohttpd's threads read requests and write answers;
 * the calls that block (every /v1 route and /readyz) run on our own worker
 * pool while their connection is suspended.
 *
 * A request's life: uri_logged() allocates its struct request (with the raw
 * URI: routing never sees a percent-decoded path); on_request() routes it,
 * answers at once what needs no work (404, 405, 413, a missing proof,
 * /healthz, /metrics), collects the body within max_body, then suspends the
 * connection and queues the request; a worker verifies the proof, checks the
 * caller and its rate, runs the handler and resumes the connection;
 * on_request() then queues the answer, which is also when the access-log
 * line and the metrics are written; completed() frees the request.
 *
 * Who owns a struct request (the suspend/resume protocol):
 *  - libmicrohttpd's thread of the connection, from uri_logged() until
 *    dispatch() puts it on the work queue; dispatch() suspends the connection
 *    first and touches the request no more once s->lock is released.
 *  - one worker, from taking it off the queue until MHD_resume_connection();
 *    it reads r->conn before resuming and touches the request no more after.
 *  - the connection's thread again, from the resumed on_request() call (or a
 *    close, then completed()) on.
 * The worker may resume before on_request() has returned from suspending: that
 * is allowed (microhttpd.h: "safe to resume a suspended connection at any
 * time"). MHD_resume_connection only sets a flag under the daemon's mutex and
 * wakes the connection's own polling thread, which moves the connection back
 * and calls on_request() again only after the current callback has returned;
 * the same mutex orders the worker's writes to r->d.call before those reads.
 * While suspended, a connection is neither timed out nor closed when the
 * client leaves (libmicrohttpd notices after the resume and calls completed()),
 * so completed() never runs while a worker holds the request. vp_server_stop()
 * joins the workers (every dispatched request resumed) before
 * MHD_stop_daemon(), which must not find a connection still suspended.
 */
#include "api/server.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api/access_log.h"
#include "api/auth.h"
#include "api/dispatch.h"
#include "api/guard.h"
#include "api/handler.h"
#include "api/listen.h"
#include "api/proxy_listen.h"
#include "api/ratelimit.h"
#include "api/render.h"
#include "api/tls.h"
#include "broker/broker.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

#define QUEUE_RETRY_AFTER 1 /* seconds, when the work queue is full */
/* Room for the request line and headers (a proof is up to 8 KiB: test_largest_proof_fits);
 * above 32 KiB libmicrohttpd maps it per connection (docs/serving.md, "Connections"). */
#define CONNECTION_MEMORY (32 * 1024)
/* A chunked body past max_body is read and dropped up to this, then the connection closes. */
#define DISCARD_MAX (1024 * 1024)

/* A request on a connection: what the dispatch steps need (api/dispatch.h), and the transport. */
struct request {
	struct vp_server *server;
	struct MHD_Connection *conn;
	struct request *next; /* in the work queue */
	char *uri;            /* raw, as sent; the path once routed */
	bool started, dispatched, answered;
	bool rendered; /* r->d.call holds the answer: queue it once the request is in */
	struct vp_buf body;
	bool too_large;
	size_t discarded;
	struct vp_dispatch_request d;
};

struct vp_server {
	struct vp_server_config cfg;
	struct vp_listen_addr addr;
	int listen_fd;
	bool tls;
	struct vp_tls *certs; /* the live certificate, reloaded by vp_server_reload_tls */
	char url[112];
	char host_port[80];

	struct MHD_Daemon *daemon;
	struct vp_broker *broker;
	struct vp_auth *auth;
	struct vp_metrics *metrics;
	struct vp_dispatch dispatch; /* what every request shares (vp_server_run fills it) */

	pthread_mutex_t lock; /* in_flight, closing; the queue; the workers' state */
	pthread_cond_t idle;
	pthread_cond_t work;
	unsigned in_flight;
	bool closing;      /* stop has begun: answers say Connection: close */
	bool workers_done; /* workers told to finish: no more dispatching */
	struct request *head, *tail;
	unsigned queued;
	pthread_t *workers;
	unsigned worker_count;

	struct vp_ratelimit *rate;
	struct vp_api_ready_cache ready;
	struct vp_proxy_trust trust;
	struct vp_guard *guard;
	struct vp_proxy_listen *proxy_listen;
};

/* ---- answers ---------------------------------------------------------------------------- */

static bool add_header(void *resp, const char *name, const char *value)
{
	return MHD_add_response_header(resp, name, value) == MHD_YES;
}

static enum MHD_Result answer(struct request *r)
{
	struct vp_api_call *call = &r->d.call;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool ok, closing;

	resp = MHD_create_response_from_buffer(call->payload_len, call->payload,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	ok = vp_dispatch_headers(&r->d, add_header, resp);
	pthread_mutex_lock(&r->server->lock);
	closing = r->server->closing;
	pthread_mutex_unlock(&r->server->lock);
	if (ok && closing)
		ok = add_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = ok ? MHD_queue_response(r->conn, call->status, resp) : MHD_NO;
	MHD_destroy_response(resp);
	vp_guard_request_paused(r->server->guard, r->conn);
	if (ret == MHD_YES) {
		r->answered = true;
		vp_dispatch_log(&r->d, call->status, false);
	}
	return ret;
}

/* ---- the workers ------------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
	struct vp_server *s = arg;

	for (;;) {
		struct request *r;
		struct MHD_Connection *conn;

		pthread_mutex_lock(&s->lock);
		while (!s->head && !s->workers_done)
			pthread_cond_wait(&s->work, &s->lock);
		r = s->head;
		if (r) {
			s->queued--;
			s->head = r->next;
			if (!s->head)
				s->tail = NULL;
		}
		pthread_mutex_unlock(&s->lock);
		if (!r)
			return NULL; /* told to finish and the queue is empty */
		vp_dispatch_run(&r->d);
		/* After resuming, the request belongs to libmicrohttpd again: do not touch r. */
		conn = r->conn;
		MHD_resume_connection(conn);
	}
}

/* ---- libmicrohttpd's callbacks ----------------------------------------------------------- */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	vp_log(VP_LOG_DEBUG, "libmicrohttpd: %s", msg);
}
#pragma GCC diagnostic pop

static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct vp_server *s = cls;
	struct request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	vp_dispatch_request_init(&r->d, &s->dispatch);
	if (!vp_guard_request_begin(s->guard, conn, r->d.source)) {
		free(r); /* over its source's cap, or past its deadline: closed */
		return NULL;
	}
	r->server = s;
	r->uri = strdup(uri ? uri : "");
	if (!r->uri) {
		free(r);
		return NULL;
	}
	vp_buf_init(&r->body, s->cfg.max_body);
	pthread_mutex_lock(&s->lock);
	s->in_flight++;
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void free_request(struct request *r)
{
	vp_dispatch_request_cleanup(&r->d);
	vp_buf_cleanup(&r->body);
	free(r->uri);
	free(r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct vp_server *s = cls;
	struct request *r = *con_cls;

	vp_guard_request_done(s->guard, conn);
	if (!r)
		return;
	*con_cls = NULL;
	/* Nothing answered (the client went away, a timeout, a body cut off): still one line. */
	if (!r->answered && r->started)
		vp_dispatch_log(&r->d, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? 500 : 499,
				true);
	free_request(r);
	pthread_mutex_lock(&s->lock);
	if (s->in_flight)
		s->in_flight--;
	if (s->in_flight == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
}

/* The first call of a request: route it and answer at once what needs no work. */
static enum MHD_Result begin(struct request *r, struct MHD_Connection *conn, const char *method)
{
	struct vp_server *s = r->server;
	struct vp_api_call *call = &r->d.call;
	const char *value;

	r->started = true;
	r->conn = conn;
	if (vp_dispatch_begin(&r->d, method, r->uri) == VP_DISPATCH_ANSWER)
		return answer(r);
	value = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
	if (!vp_guard_forwarded(s->guard, conn, value, r->d.source)) {
		vp_render_problem(call, 429, "rate_limited",
				  "too many connections from this source address");
		call->retry_after = QUEUE_RETRY_AFTER;
		return answer(r);
	}
	value = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (value) {
		char *end;
		unsigned long long length;
		errno = 0;
		length = strtoull(value, &end, 10);
		if (errno == 0 && *end == '\0' && length > s->cfg.max_body) {
			char message[96];
			snprintf(message, sizeof(message), "the body is larger than %zu bytes",
				 s->cfg.max_body);
			vp_render_problem(call, 413, "too_large", message);
			return answer(r);
		}
	}
	value = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	switch (vp_dispatch_admit(&r->d, value)) {
	case VP_DISPATCH_ANSWER:
		return answer(r);
	case VP_DISPATCH_RENDERED:
		/*
		 * Answered on this thread, but on the request's last call: libmicrohttpd
		 * 0.9.75 closes the connection after an answer queued on the first one
		 * (it cannot know the request is complete), so a health check answered
		 * there cost a new TCP connection each time.
		 */
		r->rendered = true;
		return MHD_YES;
	case VP_DISPATCH_RUN:
		return MHD_YES; /* to a worker once the body is in */
	default:
		return MHD_NO;
	}
}

/* The whole request is in: hand it to a worker, or answer 503 when the workers are gone. */
static enum MHD_Result dispatch(struct request *r)
{
	struct vp_server *s = r->server;

	pthread_mutex_lock(&s->lock);
	if (s->workers_done || !s->worker_count) {
		pthread_mutex_unlock(&s->lock);
		vp_render_error(&r->d.call, VP_ERR_UNAVAILABLE, "the broker is shutting down");
		return answer(r);
	}
	if (s->queued >= s->cfg.max_queue) {
		pthread_mutex_unlock(&s->lock);
		vp_render_error(&r->d.call, VP_ERR_UNAVAILABLE,
				"every worker is busy and the queue is full; retry later");
		r->d.call.retry_after = QUEUE_RETRY_AFTER;
		return answer(r);
	}
	s->queued++;
	r->dispatched = true;
	vp_guard_request_paused(s->guard, r->conn);
	MHD_suspend_connection(r->conn);
	r->next = NULL;
	if (s->tail)
		s->tail->next = r;
	else
		s->head = r;
	s->tail = r;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->lock);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct request *r = *con_cls;

	(void)cls;
	(void)url; /* percent-decoded by libmicrohttpd: routing uses the raw URI instead */
	(void)version;
	if (!r)
		return MHD_NO;
	if (!r->started)
		return begin(r, conn, method);
	if (*upload_size) {
		if (!r->too_large && vp_buf_append(&r->body, upload_data, *upload_size) != VP_OK)
			r->too_large = true;
		if (r->too_large) {
			r->discarded += *upload_size;
			if (r->discarded > DISCARD_MAX)
				return MHD_NO;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->dispatched || r->rendered)
		return answer(
			r); /* resumed (a worker has filled the call), or rendered in begin() */
	if (r->too_large) {
		char message[96];
		snprintf(message, sizeof(message), "the body is larger than %zu bytes",
			 r->server->cfg.max_body);
		vp_render_problem(&r->d.call, 413, "too_large", message);
		return answer(r);
	}
	vp_dispatch_set_body(&r->d, vp_buf_str(&r->body), r->body.len);
	return dispatch(r);
}

/* ---- start and stop ---------------------------------------------------------------------- */

vp_code vp_server_bind(const struct vp_server_config *cfg, struct vp_server **out,
		       struct vp_error *err)
{
	struct vp_server *s;
	vp_code rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for the server");
	s->cfg = *cfg;
	vp_server_config_fill(&s->cfg);
	s->listen_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	pthread_cond_init(&s->work, NULL);
	vp_api_ready_cache_init(&s->ready, s->cfg.ready_cache_ms);
	rc = vp_ratelimit_new(s->cfg.account_rate, s->cfg.account_burst, &s->rate, err);
	if (rc != VP_OK)
		goto fail;
	rc = vp_listen_parse(s->cfg.listen, strlen(s->cfg.listen), &s->addr, err);
	if (rc != VP_OK) {
		vp_error_prefix(err, "listen address");
		goto fail;
	}
	rc = vp_proxy_trust_parse(s->cfg.trusted_proxies, &s->trust, err);
	if (rc == VP_OK && s->cfg.proxy_protocol && !s->trust.count)
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the PROXY protocol needs the load balancers' ranges "
			     "(--trusted-proxies): from anyone else it is refused");
	if (rc != VP_OK) {
		vp_error_prefix(err, "trusted proxies");
		goto fail;
	}
	if (!s->cfg.tls_cert_file != !s->cfg.tls_key_file) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "HTTPS needs both a certificate and a key (--tls-cert and --tls-key)");
		goto fail;
	}
	s->tls = s->cfg.tls_cert_file != NULL;
	if (!s->tls && !s->addr.loopback && !s->cfg.insecure_http) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "refusing plain HTTP on %s, which is not a loopback address: give "
			     "--tls-cert and --tls-key, or --insecure-http behind a TLS proxy",
			     s->cfg.listen);
		goto fail;
	}
	if (s->tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			rc = vp_fail(err, VP_ERR_INVALID, "this libmicrohttpd has no TLS support");
			goto fail;
		}
		rc = vp_tls_new(s->cfg.tls_cert_file, s->cfg.tls_key_file, &s->certs, err);
		if (rc != VP_OK)
			goto fail;
	}
	rc = vp_listen_open(&s->addr, s->cfg.listen, &s->listen_fd, err);
	if (rc != VP_OK)
		goto fail;
	if (s->certs)
		vp_tls_attach(s->certs, s->addr.port);
	snprintf(s->host_port, sizeof(s->host_port), "%s:%u", s->addr.host, s->addr.port);
	snprintf(s->url, sizeof(s->url), "%s://%s", s->tls ? "https" : "http", s->host_port);
	/* The configuration's strings are the caller's: keep none of them past start. */
	s->cfg.tls_cert_file = s->cfg.tls_key_file = NULL;
	s->cfg.listen = s->cfg.trusted_proxies = NULL;
	*out = s;
	return VP_OK;
fail:
	vp_server_stop(s);
	return rc;
}

/* No new connection once vp_server_stop has begun (not MHD_quiesce_daemon: in 0.9.75 it races
 * a pool worker for the listen socket's epoll entry, and the loser aborts: docs/serving.md). */
static enum MHD_Result accept_open(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct vp_server *s = cls;
	bool open;
	(void)addr;
	(void)addrlen;
	pthread_mutex_lock(&s->lock);
	open = !s->closing;
	pthread_mutex_unlock(&s->lock);
	return open ? MHD_YES : MHD_NO;
}

vp_code vp_server_run(struct vp_server *s, struct vp_broker *broker, struct vp_auth *auth,
		      struct vp_metrics *metrics, struct vp_error *err)
{
	static char priorities[] = VP_TLS_PRIORITIES;
	struct MHD_OptionItem opts[5];
	struct vp_guard_config guard = {
		.per_source = s->cfg.per_source,
		.deadline_ms = s->cfg.request_deadline * 1000,
		.idle_ms = s->cfg.connection_timeout * 1000,
		.trust = s->trust,
		.proxy_protocol = s->cfg.proxy_protocol,
	};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	size_t n = 0;
	vp_code rc;

	rc = vp_guard_new(&guard, metrics, &s->guard, err);
	if (rc != VP_OK)
		return rc;
	s->broker = broker;
	s->auth = auth;
	s->metrics = metrics;
	s->dispatch = (struct vp_dispatch){
		.broker = broker,
		.auth = auth,
		.metrics = metrics,
		.rate = s->rate,
		.account_rate = s->cfg.account_rate,
		.ready = &s->ready,
		.metrics_listener = s->cfg.metrics_only,
	};
	if (metrics)
		vp_dispatch_declare_metrics(metrics);
	s->workers = calloc(s->cfg.workers, sizeof(*s->workers));
	if (!s->workers)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for %u workers", s->cfg.workers);
	for (unsigned i = 0; i < s->cfg.workers; i++) {
		int e = pthread_create(&s->workers[i], NULL, worker_main, s);
		if (e != 0)
			return vp_fail(err, VP_ERR_INTERNAL, "cannot start worker %u: %s", i + 1,
				       strerror(e));
		s->worker_count++;
	}
	if (s->tls)
		flags |= MHD_USE_TLS;
	if (s->addr.family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The options that depend on the configuration go in an array, the rest as varargs. */
	if (s->cfg.threads > 1)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
						    (intptr_t)s->cfg.threads, NULL};
	if (s->tls) {
		/* The certificate per handshake (SIGHUP reloads it); TLS 1.3 first, 1.2 at least.
		 */
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
						    vp_tls_callback()};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, priorities};
	}
	/* With the PROXY protocol our listener accepts (proxy_listen.h), libmicrohttpd does not. */
	if (s->cfg.proxy_protocol)
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	else
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, s->listen_fd, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	s->daemon = MHD_start_daemon(
		flags, 0, accept_open, s, on_request, s, MHD_OPTION_NOTIFY_CONNECTION,
		vp_guard_notify, s->guard, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)s->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)s->cfg.connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)CONNECTION_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, uri_logged, s,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!s->daemon)
		return vp_fail(err, VP_ERR_INTERNAL,
			       "libmicrohttpd did not start on %s (a bad TLS certificate or key?)",
			       s->url);
	if (s->cfg.proxy_protocol) {
		int fd = s->listen_fd;
		s->listen_fd = -1; /* the listener's now, closed by it even on failure */
		return vp_proxy_listen_start(fd, &s->trust, s->cfg.request_deadline * 1000,
					     s->daemon, metrics, &s->proxy_listen, err);
	}
	s->listen_fd = -1; /* the daemon's now */
	return VP_OK;
}

vp_code vp_server_start(const struct vp_server_config *cfg, struct vp_broker *broker,
			struct vp_auth *auth, struct vp_metrics *metrics, struct vp_server **out,
			struct vp_error *err)
{
	struct vp_server *s = NULL;
	vp_code rc = vp_server_bind(cfg, &s, err);

	if (rc != VP_OK)
		return rc;
	rc = vp_server_run(s, broker, auth, metrics, err);
	if (rc != VP_OK) {
		vp_server_stop(s);
		return rc;
	}
	*out = s;
	return VP_OK;
}

vp_code vp_server_reload_tls(struct vp_server *server, struct vp_error *err)
{
	if (!server->certs)
		return vp_fail(err, VP_ERR_INVALID, "the server does not serve HTTPS");
	return vp_tls_reload(server->certs, err);
}

const char *vp_server_url(const struct vp_server *server)
{
	return server->url;
}

const char *vp_server_host_port(const struct vp_server *server)
{
	return server->host_port;
}

/* Refuse new connections (accept_open), then wait until no request is in flight or the
 * deadline passes: how many are left. */
static unsigned close_and_wait(struct vp_server *s, unsigned seconds)
{
	struct timespec deadline = vp_clock_deadline(CLOCK_REALTIME, (int64_t)seconds * 1000);
	unsigned left;

	pthread_mutex_lock(&s->lock);
	s->closing = true;
	while (s->in_flight > 0 &&
	       pthread_cond_timedwait(&s->idle, &s->lock, &deadline) != ETIMEDOUT)
		;
	left = s->in_flight;
	pthread_mutex_unlock(&s->lock);
	return left;
}

void vp_server_stop(struct vp_server *s)
{
	unsigned left;

	if (!s)
		return;
	vp_proxy_listen_stop(s->proxy_listen); /* no new connections from the PROXY listener */
	if (s->daemon && (left = close_and_wait(s, s->cfg.shutdown_grace)) > 0)
		vp_log(VP_LOG_WARN,
		       "%u request(s) still in flight after %u s; closing their connections", left,
		       s->cfg.shutdown_grace);
	/* Workers finish what is queued (their connections are suspended), then exit. */
	pthread_mutex_lock(&s->lock);
	s->workers_done = true;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < s->worker_count; i++)
		pthread_join(s->workers[i], NULL);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	vp_guard_free(s->guard); /* after the daemon: every connection is closed */
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s->workers);
	vp_ratelimit_free(s->rate);
	vp_tls_free(s->certs);
	pthread_cond_destroy(&s->work);
	vp_api_ready_cache_cleanup(&s->ready);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
