/* SPDX-License-Identifier: Apache-2.0 */
#include "stub.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

#include <microhttpd.h>

#define MAX_RULES    32
#define MAX_REQUESTS 256

struct rule {
	char method[8];
	char path[256];
	int times;
	int status;
	char *body;
};

struct stub {
	struct MHD_Daemon *daemon;
	char url[64];
	pthread_mutex_t lock;
	struct rule rules[MAX_RULES];
	size_t rule_count;
	struct stub_request *requests;
	size_t request_count;
	size_t connections;
};

struct conn_state {
	char body[8192];
	size_t len;
};

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **ctx)
{
	struct stub *s = cls;
	struct conn_state *st = *ctx;
	struct MHD_Response *resp;
	struct stub_request req;
	const char *body = "not scripted";
	int status = 599;
	enum MHD_Result ret;

	(void)version;
	if (!st) {
		st = calloc(1, sizeof(*st));
		*ctx = st;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		if (st->len + n >= sizeof(st->body))
			n = sizeof(st->body) - st->len - 1;
		memcpy(st->body + st->len, upload, n);
		st->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&req, 0, sizeof(req));
	copy(req.method, sizeof(req.method), method);
	copy(req.path, sizeof(req.path), url);
	copy(req.authorization, sizeof(req.authorization),
	     MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"));
	copy(req.imds_token, sizeof(req.imds_token),
	     MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-aws-ec2-metadata-token"));
	copy(req.imds_ttl, sizeof(req.imds_ttl),
	     MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 "X-aws-ec2-metadata-token-ttl-seconds"));
	memcpy(req.body, st->body, st->len);

	pthread_mutex_lock(&s->lock);
	if (s->request_count < MAX_REQUESTS)
		s->requests[s->request_count++] = req;
	for (size_t i = 0; i < s->rule_count; i++) {
		struct rule *r = &s->rules[i];
		if (r->times == 0)
			continue;
		if (strcmp(r->method, "*") != 0 && strcmp(r->method, method) != 0)
			continue;
		if (strcmp(r->path, "*") != 0 && strcmp(r->path, url) != 0)
			continue;
		if (r->times > 0)
			r->times--;
		status = r->status;
		body = r->body;
		break;
	}
	if (status == 0) {
		pthread_mutex_unlock(&s->lock);
		return MHD_NO; /* no answer: the connection closes */
	}
	resp = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
					       MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&s->lock);
	MHD_add_response_header(resp, "x-amzn-RequestId", "stub-request-id");
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **ctx,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*ctx);
	*ctx = NULL;
}

static void notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		   enum MHD_ConnectionNotificationCode toe)
{
	struct stub *s = cls;
	(void)conn;
	(void)socket_ctx;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&s->lock);
		s->connections++;
		pthread_mutex_unlock(&s->lock);
	}
}

struct stub *stub_start(void)
{
	struct stub *s = calloc(1, sizeof(*s));
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;

	if (!s)
		return NULL;
	s->requests = calloc(MAX_REQUESTS, sizeof(*s->requests));
	pthread_mutex_init(&s->lock, NULL);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
				     NULL, handle, s, MHD_OPTION_SOCK_ADDR, &addr,
				     MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				     MHD_OPTION_NOTIFY_CONNECTION, notify, s, MHD_OPTION_END);
	if (!s->daemon) {
		free(s->requests);
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", (unsigned)info->port);
	return s;
}

void stub_reset(struct stub *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->rule_count; i++)
		free(s->rules[i].body);
	s->rule_count = 0;
	s->request_count = 0;
	pthread_mutex_unlock(&s->lock);
}

void stub_stop(struct stub *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	stub_reset(s);
	pthread_mutex_destroy(&s->lock);
	free(s->requests);
	free(s);
}

const char *stub_url(const struct stub *s)
{
	return s->url;
}

void stub_on(struct stub *s, const char *method, const char *path, int times, int status,
	     const char *body)
{
	pthread_mutex_lock(&s->lock);
	if (s->rule_count < MAX_RULES) {
		struct rule *r = &s->rules[s->rule_count++];
		copy(r->method, sizeof(r->method), method);
		copy(r->path, sizeof(r->path), path);
		r->times = times;
		r->status = status;
		r->body = strdup(body);
	}
	pthread_mutex_unlock(&s->lock);
}

size_t stub_request_count(struct stub *s)
{
	size_t n;
	pthread_mutex_lock(&s->lock);
	n = s->request_count;
	pthread_mutex_unlock(&s->lock);
	return n;
}

struct stub_request stub_request_at(struct stub *s, size_t i)
{
	struct stub_request r;
	pthread_mutex_lock(&s->lock);
	r = s->requests[i < s->request_count ? i : 0];
	pthread_mutex_unlock(&s->lock);
	return r;
}

size_t stub_connections(struct stub *s)
{
	size_t n;
	pthread_mutex_lock(&s->lock);
	n = s->connections;
	pthread_mutex_unlock(&s->lock);
	return n;
}
