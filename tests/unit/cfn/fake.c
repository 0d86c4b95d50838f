/* SPDX-License-Identifier: Apache-2.0 */
#include "fake.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <microhttpd.h>

#include "aws/chain.h"
#include "cfn/probe_mode.h"
#include "core/log.h"

#define MAX_EVENTS     64
#define MAX_RECORDS    128
#define MAX_NAMESPACES 64

struct event {
	char request_id[128];
	int64_t deadline_ms;
	char *body;
};

struct ns {
	int64_t n;
	char client_ref[300];
	char state[16];
	char pcx[32], vpc[32];
};

struct fake {
	struct MHD_Daemon *daemon;
	char url[80], hostport[64];
	pthread_mutex_t lock;
	_Atomic int stopping;
	struct event events[MAX_EVENTS];
	size_t event_head, event_count;
	struct fake_post posts[MAX_RECORDS];
	size_t post_count;
	struct fake_put puts[MAX_RECORDS];
	size_t put_count;
	int put_fail_left, put_fail_status;
	struct fake_call calls[MAX_RECORDS];
	size_t call_count;
	int refuse_status;
	int refuse_left; /* > 0: only this many more calls are refused */
	char refuse_body[1024];
	_Atomic int hang;
	struct ns namespaces[MAX_NAMESPACES];
	size_t ns_count;
	char accepter[16]; /* the answers' PeeringAccepter; "" answers none (an older broker) */
	char zone[40];     /* the active answers' HostedZoneId; "": null */
	bool tgw;          /* the transit-gateway mode's answers (issue 16) */
	int subnets;       /* subnets in the plan: 1..4 (0: 4) */
	struct fake_call r53[MAX_RECORDS]; /* Route 53 calls (the function's own) */
	size_t r53_count;
	int r53_status;
	char r53_code[64];
	struct fake_call invokes[MAX_RECORDS]; /* Lambda Invoke calls (the probe function's) */
	size_t invoke_count;
	char invoke_types[MAX_RECORDS][32]; /* their X-Amz-Invocation-Type */
	int invoke_status;                  /* 0: run the probe mode in-process */
	char invoke_function_error[32];
	char invoke_body[1024];
};

struct conn_state {
	char body[16384];
	size_t len;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *body,
			      const char *const *headers)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	for (size_t i = 0; headers && headers[i]; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result runtime(struct fake *f, struct MHD_Connection *conn, const char *url,
			       const char *method, const struct conn_state *st)
{
	char deadline[32];
	const char *hdrs[8];
	size_t h = 0;

	if (strcmp(method, "GET") == 0 && strcmp(url, "/2018-06-01/runtime/invocation/next") == 0) {
		struct event ev;
		enum MHD_Result ret;

		pthread_mutex_lock(&f->lock);
		if (f->event_count == 0) {
			pthread_mutex_unlock(&f->lock);
			return answer(conn, 500, "{\"errorMessage\":\"no event queued\"}", NULL);
		}
		ev = f->events[f->event_head];
		f->events[f->event_head].body = NULL;
		f->event_head = (f->event_head + 1) % MAX_EVENTS;
		f->event_count--;
		pthread_mutex_unlock(&f->lock);
		hdrs[h++] = "Lambda-Runtime-Aws-Request-Id";
		hdrs[h++] = ev.request_id;
		if (ev.deadline_ms > 0) {
			snprintf(deadline, sizeof(deadline), "%" PRId64, ev.deadline_ms);
			hdrs[h++] = "Lambda-Runtime-Deadline-Ms";
			hdrs[h++] = deadline;
		}
		hdrs[h++] = "Lambda-Runtime-Invoked-Function-Arn";
		hdrs[h++] = "arn:aws:lambda:us-east-1:222222222222:function:handler";
		hdrs[h] = NULL;
		ret = answer(conn, 200, ev.body, hdrs);
		free(ev.body);
		return ret;
	}
	if (strcmp(method, "POST") == 0) {
		struct fake_post p;
		memset(&p, 0, sizeof(p));
		copy(p.path, sizeof(p.path), url);
		copy(p.error_type, sizeof(p.error_type),
		     MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 "Lambda-Runtime-Function-Error-Type"));
		memcpy(p.body, st->body,
		       st->len < sizeof(p.body) - 1 ? st->len : sizeof(p.body) - 1);
		pthread_mutex_lock(&f->lock);
		if (f->post_count < MAX_RECORDS)
			f->posts[f->post_count++] = p;
		pthread_mutex_unlock(&f->lock);
		return answer(conn, 202, "{\"status\":\"OK\"}", NULL);
	}
	return answer(conn, 404, "{}", NULL);
}

static enum MHD_Result response_url(struct fake *f, struct MHD_Connection *conn, const char *url,
				    const char *method, const struct conn_state *st)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	struct fake_put p;
	int status = 200;

	memset(&p, 0, sizeof(p));
	copy(p.method, sizeof(p.method), method);
	copy(p.path, sizeof(p.path), url);
	p.has_content_type = ct != NULL;
	copy(p.content_type, sizeof(p.content_type), ct);
	copy(p.content_length, sizeof(p.content_length),
	     MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length"));
	p.len = st->len;
	memcpy(p.body, st->body, st->len < sizeof(p.body) - 1 ? st->len : sizeof(p.body) - 1);
	p.at_ms = now_ms();
	pthread_mutex_lock(&f->lock);
	if (f->put_count < MAX_RECORDS)
		f->puts[f->put_count++] = p;
	if (f->put_fail_left > 0) {
		f->put_fail_left--;
		status = f->put_fail_status;
	}
	pthread_mutex_unlock(&f->lock);
	return answer(conn, (unsigned)status, "", NULL);
}

/* The namespace object as the broker renders it (docs/api.md). */
static char *ns_json(const struct fake *f, const struct ns *ns)
{
	const char *accepter = f->accepter, *zone = f->zone;
	bool tgw = f->tgw;
	char vpc[32], sub[4][32];
	unsigned base = (unsigned)ns->n * 4;
	json_t *o;
	char *text;

	snprintf(vpc, sizeof(vpc), "10.%u.%u.0/22", base / 256, base % 256);
	for (unsigned s = 0; s < 4; s++)
		snprintf(sub[s], sizeof(sub[s]), "10.%u.%u.0/24", (base + s) / 256,
			 (base + s) % 256);
	o = json_pack("{sI ss ss ss ss ss ss ss ss ss ss ss ss ss so so}", "NamespaceId",
		      (json_int_t)ns->n, "State", ns->state, "AccountId", "222222222222",
		      "ClientRef", ns->client_ref, "VpcCidrBlock", vpc, "SubnetACidrBlock", sub[0],
		      "SubnetBCidrBlock", sub[1], "SubnetCCidrBlock", sub[2], "SubnetDCidrBlock",
		      sub[3], "PeerVpcId", "vpc-0123456789abcdef0", "PeerOwnerId", "111111111111",
		      "PeerRegion", "us-east-1", "PeerRoleArn",
		      "arn:aws:iam::111111111111:role/vpcpeer-peer-1", "PeerCidrBlock",
		      "10.0.0.0/22", "VpcId", ns->vpc[0] ? json_string(ns->vpc) : json_null(),
		      "VpcPeeringConnectionId", ns->pcx[0] ? json_string(ns->pcx) : json_null());
	for (int sub_i = f->subnets > 0 ? f->subnets : 4; o && sub_i < 4; sub_i++) {
		char key[32];
		snprintf(key, sizeof(key), "Subnet%cCidrBlock", 'A' + sub_i);
		json_object_del(o, key); /* a broker with --subnets below 4 */
	}
	if (o)
		json_object_set_new(o, "HostedZoneId",
				    zone[0] && strcmp(ns->state, "active") == 0 ? json_string(zone)
										: json_null());
	if (o && accepter[0]) {
		json_object_set_new(o, "PeeringAccepter", json_string(accepter));
		if (strcmp(accepter, "broker") == 0) /* no role in broker mode */
			json_object_set_new(o, "PeerRoleArn", json_null());
	}
	if (o && tgw) {
		json_object_set_new(o, "Attach", json_string("transit-gateway"));
		json_object_set_new(o, "TransitGatewayId", json_string(FAKE_TGW_ID));
		json_object_set_new(o, "ResourceShareArn", json_string(FAKE_SHARE_ARN));
		json_object_set_new(o, "TransitGatewayAttachmentId",
				    ns->pcx[0] ? json_string(ns->pcx) : json_null());
		json_object_set_new(o, "VpcPeeringConnectionId", json_null());
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static struct ns *find_ns(struct fake *f, int64_t n)
{
	for (size_t i = 0; i < f->ns_count; i++)
		if (f->namespaces[i].n == n)
			return &f->namespaces[i];
	return NULL;
}

/* GET /v1/namespaces?state=S&cursor=C: FAKE_LIST_PAGE records a page, so paging is used. */
#define FAKE_LIST_PAGE 2
static char *list_json(const struct fake *f, const char *state, const char *cursor)
{
	json_t *items = json_array(), *doc;
	size_t at = cursor ? strtoul(cursor, NULL, 10) : 0, taken = 0;
	char next[24] = "", *text;

	for (; items && at < f->ns_count && taken < FAKE_LIST_PAGE; at++) {
		const struct ns *ns = &f->namespaces[at];
		char *one;
		if (state && strcmp(state, ns->state) != 0)
			continue;
		one = ns_json(f, ns);
		json_array_append_new(items, json_loads(one, 0, NULL));
		free(one);
		taken++;
	}
	if (at < f->ns_count)
		snprintf(next, sizeof(next), "%zu", at);
	doc = json_pack("{so so}", "Namespaces", items, "NextCursor",
			next[0] ? json_string(next) : json_null());
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

static enum MHD_Result broker(struct fake *f, struct MHD_Connection *conn, const char *url,
			      const char *method, const struct conn_state *st)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	static const char not_found[] =
		"{\"error\":{\"code\":\"not_found\",\"message\":\"no such namespace\"}}";
	struct fake_call c;
	unsigned status = 200;
	char *text = NULL, *end;
	enum MHD_Result ret;
	json_t *body;
	struct ns *ns;
	int64_t n;

	const char *client_ref =
		MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "client_ref");

	memset(&c, 0, sizeof(c));
	copy(c.method, sizeof(c.method), method);
	/* the path as sent, its query decoded: the release names its registration */
	snprintf(c.path, sizeof(c.path), "%s%s%s", url, client_ref ? "?client_ref=" : "",
		 client_ref ? client_ref : "");
	memcpy(c.body, st->body, st->len < sizeof(c.body) - 1 ? st->len : sizeof(c.body) - 1);
	c.proof = auth && strncmp(auth, "Vpcpeer-Proof ", 14) == 0;
	pthread_mutex_lock(&f->lock);
	if (f->call_count < MAX_RECORDS)
		f->calls[f->call_count++] = c;
	pthread_mutex_unlock(&f->lock);

	while (f->hang && !f->stopping)
		usleep(10000);
	pthread_mutex_lock(&f->lock);
	if (f->refuse_status) {
		char copy_body[sizeof(f->refuse_body)];
		unsigned s = (unsigned)f->refuse_status;
		static const char *const retry[] = {"Retry-After", "1", NULL};
		memcpy(copy_body, f->refuse_body, sizeof(copy_body));
		if (f->refuse_left > 0 && --f->refuse_left == 0)
			f->refuse_status = 0;
		pthread_mutex_unlock(&f->lock);
		return answer(conn, s, copy_body, s == 503 ? retry : NULL);
	}
	if (!c.proof) {
		pthread_mutex_unlock(&f->lock);
		return answer(conn, 401,
			      "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"no proof\"}}",
			      NULL);
	}
	body = json_loadb(st->body, st->len, 0, NULL);
	if (strcmp(method, "GET") == 0 && strcmp(url, "/v1/namespaces") == 0) {
		text = list_json(
			f, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "state"),
			MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "cursor"));
	} else if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/namespaces") == 0) {
		const char *ref = json_string_value(json_object_get(body, "client_ref"));
		ns = NULL;
		for (size_t i = 0; ref && i < f->ns_count; i++)
			if (strcmp(f->namespaces[i].client_ref, ref) == 0)
				ns = &f->namespaces[i];
		if (!ns && ref && f->ns_count < MAX_NAMESPACES) {
			ns = &f->namespaces[f->ns_count++];
			memset(ns, 0, sizeof(*ns));
			ns->n = (int64_t)f->ns_count;
			copy(ns->client_ref, sizeof(ns->client_ref), ref);
			copy(ns->state, sizeof(ns->state), "pending");
			status = 201;
		}
		if (ns)
			text = ns_json(f, ns);
		else
			status = 400;
	} else if (strncmp(url, "/v1/namespaces/", 15) == 0 &&
		   (n = strtoll(url + 15, &end, 10)) >= 0 && end != url + 15) {
		ns = find_ns(f, n);
		if (!ns) {
			status = 404;
		} else if (strcmp(end, "/confirm") == 0 && strcmp(method, "POST") == 0) {
			const char *id = json_string_value(
				json_object_get(body, "vpc_peering_connection_id"));
			if (!id)
				id = json_string_value(
					json_object_get(body, "transit_gateway_attachment_id"));
			copy(ns->pcx, sizeof(ns->pcx), id);
			copy(ns->vpc, sizeof(ns->vpc),
			     json_string_value(json_object_get(body, "vpc_id")));
			copy(ns->state, sizeof(ns->state), "active");
			text = ns_json(f, ns);
		} else if (*end == '\0' && strcmp(method, "GET") == 0) {
			text = ns_json(f, ns);
		} else if (*end == '\0' && strcmp(method, "DELETE") == 0 && client_ref &&
			   strcmp(client_ref, ns->client_ref) != 0) {
			status = 404; /* n holds another registration now (the broker's check) */
		} else if (*end == '\0' && strcmp(method, "DELETE") == 0) {
			copy(ns->state, sizeof(ns->state), "released");
			text = ns_json(f, ns);
		} else {
			status = 405;
		}
	} else {
		status = 404;
	}
	pthread_mutex_unlock(&f->lock);
	json_decref(body);
	ret = answer(conn, status,
		     text ? text
			  : (status == 404
				     ? not_found
				     : "{\"error\":{\"code\":\"invalid\",\"message\":\"bad\"}}"),
		     NULL);
	free(text);
	return ret;
}

/* Route 53 (REST-XML): recorded; associatevpc/disassociatevpc answer INSYNC, or the scripted error.
 */
static enum MHD_Result route53(struct fake *f, struct MHD_Connection *conn, const char *url,
			       const char *method, const struct conn_state *st)
{
	struct fake_call c;
	char body[512];
	int status;

	const char *client_ref =
		MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "client_ref");

	memset(&c, 0, sizeof(c));
	copy(c.method, sizeof(c.method), method);
	/* the path as sent, its query decoded: the release names its registration */
	snprintf(c.path, sizeof(c.path), "%s%s%s", url, client_ref ? "?client_ref=" : "",
		 client_ref ? client_ref : "");
	memcpy(c.body, st->body, st->len < sizeof(c.body) - 1 ? st->len : sizeof(c.body) - 1);
	pthread_mutex_lock(&f->lock);
	if (f->r53_count < MAX_RECORDS)
		f->r53[f->r53_count++] = c;
	status = f->r53_status;
	if (status)
		snprintf(body, sizeof(body),
			 "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>"
			 "scripted</Message></Error><RequestId>r</RequestId></ErrorResponse>",
			 f->r53_code);
	pthread_mutex_unlock(&f->lock);
	if (!status)
		snprintf(body, sizeof(body),
			 "<AssociateVPCWithHostedZoneResponse><ChangeInfo><Id>/change/C1</Id>"
			 "<Status>INSYNC</Status><SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt>"
			 "</ChangeInfo></AssociateVPCWithHostedZoneResponse>");
	return answer(conn, status ? (unsigned)status : 200, body, NULL);
}

/*
 * Lambda Invoke: recorded; by default the probe mode answers in-process
 * (cfn/probe_mode.h, probing from this host as the probe function would from
 * the VPC), its failure answered as Lambda does: 200, X-Amz-Function-Error.
 */
static enum MHD_Result lambda_invoke(struct fake *f, struct MHD_Connection *conn, const char *url,
				     const char *method, const struct conn_state *st)
{
	struct vp_cfn_probe_config pcfg = {0};
	struct vp_lambda_invocation inv;
	struct fake_call c;
	struct vp_buf out;
	struct vp_error err;
	char error_type[64], *text = NULL, body[1024], kind[32];
	const char *type =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Invocation-Type");
	const char *hdr[3] = {"X-Amz-Function-Error", kind, NULL};
	int status;
	enum MHD_Result ret;

	memset(&c, 0, sizeof(c));
	copy(c.method, sizeof(c.method), method);
	copy(c.path, sizeof(c.path), url);
	memcpy(c.body, st->body, st->len < sizeof(c.body) - 1 ? st->len : sizeof(c.body) - 1);
	c.proof = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization") != NULL;
	pthread_mutex_lock(&f->lock);
	if (f->invoke_count < MAX_RECORDS) {
		copy(f->invoke_types[f->invoke_count], sizeof(f->invoke_types[0]), type);
		f->invokes[f->invoke_count++] = c;
	}
	status = f->invoke_status;
	copy(kind, sizeof(kind), f->invoke_function_error);
	copy(body, sizeof(body), f->invoke_body);
	pthread_mutex_unlock(&f->lock);
	if (status) {
		if (status != 200) /* Lambda's refusal: its code in x-amzn-ErrorType */
			hdr[0] = "x-amzn-ErrorType";
		return answer(conn, (unsigned)status, body, kind[0] ? hdr : NULL);
	}
	vp_lambda_invocation_init(&inv);
	if (vp_buf_append(&inv.event, st->body, st->len) != VP_OK)
		return answer(conn, 500, "{}", NULL);
	vp_buf_init(&out, (size_t)1 << 20);
	if (vp_cfn_probe_lambda_handler(&pcfg, &inv, &out, error_type, sizeof(error_type), &err) ==
	    VP_OK) {
		ret = answer(conn, 200, out.data ? out.data : "{}", NULL);
	} else {
		json_t *e =
			json_pack("{ss ss}", "errorType", error_type, "errorMessage", err.message);
		text = e ? json_dumps(e, JSON_COMPACT) : NULL;
		json_decref(e);
		copy(kind, sizeof(kind), "Unhandled");
		ret = answer(conn, 200, text ? text : "{}", hdr);
		free(text);
	}
	vp_buf_cleanup(&out);
	vp_lambda_invocation_cleanup(&inv);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **ctx)
{
	struct fake *f = cls;
	struct conn_state *st = *ctx;

	(void)version;
	if (!st) {
		st = calloc(1, sizeof(*st));
		*ctx = st;
		return st ? MHD_YES : MHD_NO;
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
	if (strncmp(url, "/2018-06-01/", 12) == 0)
		return runtime(f, conn, url, method, st);
	if (strncmp(url, "/cfn/", 5) == 0)
		return response_url(f, conn, url, method, st);
	if (strncmp(url, "/v1/", 4) == 0)
		return broker(f, conn, url, method, st);
	if (strncmp(url, "/2013-04-01/", 12) == 0)
		return route53(f, conn, url, method, st);
	if (strncmp(url, "/2015-03-31/functions/", 22) == 0)
		return lambda_invoke(f, conn, url, method, st);
	return answer(conn, 404, "{}", NULL);
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

struct fake *fake_start(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;

	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
					     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
				     0, NULL, NULL, handle, f, MHD_OPTION_SOCK_ADDR, &addr,
				     MHD_OPTION_NOTIFY_COMPLETED, completed, f, MHD_OPTION_END);
	if (!f->daemon) {
		free(f);
		return NULL;
	}
	info = MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(f->hostport, sizeof(f->hostport), "127.0.0.1:%u", (unsigned)info->port);
	snprintf(f->url, sizeof(f->url), "http://%s", f->hostport);
	return f;
}

void fake_reset(struct fake *f)
{
	pthread_mutex_lock(&f->lock);
	while (f->event_count > 0) {
		free(f->events[f->event_head].body);
		f->events[f->event_head].body = NULL;
		f->event_head = (f->event_head + 1) % MAX_EVENTS;
		f->event_count--;
	}
	f->post_count = f->put_count = f->call_count = f->ns_count = 0;
	f->put_fail_left = 0;
	f->refuse_status = 0;
	f->refuse_left = 0;
	f->hang = 0;
	f->accepter[0] = '\0';
	f->zone[0] = '\0';
	f->subnets = 0;
	f->tgw = false;
	f->r53_count = 0;
	f->r53_status = 0;
	f->invoke_count = 0;
	f->invoke_status = 0;
	pthread_mutex_unlock(&f->lock);
}

void fake_stop(struct fake *f)
{
	if (!f)
		return;
	f->stopping = 1;
	MHD_stop_daemon(f->daemon);
	fake_reset(f);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

struct fake *fake;
struct vp_aws_client *fake_aws;

int fake_group_setup(void **state)
{
	struct vp_aws_client_config acfg = {0};
	struct vp_error err;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	setenv("AWS_SESSION_TOKEN", "session-token-example", 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	vp_log_setup(VP_LOG_ERROR, VP_LOG_JSON, NULL);
	fake = fake_start();
	assert_non_null(fake);
	setenv("AWS_ENDPOINT_URL_ROUTE_53", fake->url, 1); /* the function's Route 53 calls */
	setenv("AWS_ENDPOINT_URL_LAMBDA", fake->url, 1);   /* its probe function's invocations */
	if (vp_aws_global_init(&err) != VP_OK ||
	    vp_aws_client_new_default(&acfg, &fake_aws, &err) != VP_OK)
		fail_msg("%s", err.message);
	return 0;
}

int fake_group_teardown(void **state)
{
	(void)state;
	fake_stop(fake);
	vp_aws_client_free(fake_aws);
	vp_aws_global_cleanup();
	return 0;
}

const char *fake_url(const struct fake *f)
{
	return f->url;
}
const char *fake_hostport(const struct fake *f)
{
	return f->hostport;
}

void fake_queue_event(struct fake *f, const char *request_id, int64_t deadline_ms, const char *body)
{
	pthread_mutex_lock(&f->lock);
	if (f->event_count < MAX_EVENTS) {
		struct event *ev = &f->events[(f->event_head + f->event_count) % MAX_EVENTS];
		copy(ev->request_id, sizeof(ev->request_id), request_id);
		ev->deadline_ms = deadline_ms;
		ev->body = strdup(body);
		f->event_count++;
	}
	pthread_mutex_unlock(&f->lock);
}

#define GETTERS(type, name, array, count)                                                          \
	size_t fake_##name##_count(struct fake *f)                                                 \
	{                                                                                          \
		size_t n;                                                                          \
		pthread_mutex_lock(&f->lock);                                                      \
		n = f->count;                                                                      \
		pthread_mutex_unlock(&f->lock);                                                    \
		return n;                                                                          \
	}                                                                                          \
	struct type fake_##name##_at(struct fake *f, size_t i)                                     \
	{                                                                                          \
		struct type out;                                                                   \
		pthread_mutex_lock(&f->lock);                                                      \
		out = f->array[i < f->count ? i : 0];                                              \
		pthread_mutex_unlock(&f->lock);                                                    \
		return out;                                                                        \
	}

GETTERS(fake_post, post, posts, post_count)
GETTERS(fake_put, put, puts, put_count)
GETTERS(fake_call, broker_call, calls, call_count)

void fake_put_fail(struct fake *f, int n, int status)
{
	pthread_mutex_lock(&f->lock);
	f->put_fail_left = n;
	f->put_fail_status = status;
	pthread_mutex_unlock(&f->lock);
}

void fake_broker_refuse(struct fake *f, int status, const char *body)
{
	pthread_mutex_lock(&f->lock);
	f->refuse_status = status;
	copy(f->refuse_body, sizeof(f->refuse_body), body);
	pthread_mutex_unlock(&f->lock);
}

void fake_broker_refuse_next(struct fake *f, int n, int status, const char *body)
{
	pthread_mutex_lock(&f->lock);
	f->refuse_status = status;
	f->refuse_left = n;
	copy(f->refuse_body, sizeof(f->refuse_body), body);
	pthread_mutex_unlock(&f->lock);
}

void fake_broker_hang(struct fake *f, bool on)
{
	f->hang = on;
}

void fake_broker_set_accepter(struct fake *f, const char *mode)
{
	pthread_mutex_lock(&f->lock);
	copy(f->accepter, sizeof(f->accepter), mode);
	pthread_mutex_unlock(&f->lock);
}

void fake_broker_set_subnets(struct fake *f, int subnets)
{
	pthread_mutex_lock(&f->lock);
	f->subnets = subnets;
	pthread_mutex_unlock(&f->lock);
}

void fake_broker_set_state(struct fake *f, int64_t n, const char *state)
{
	pthread_mutex_lock(&f->lock);
	struct ns *ns = find_ns(f, n);
	if (ns)
		copy(ns->state, sizeof(ns->state), state);
	pthread_mutex_unlock(&f->lock);
}

void fake_broker_set_client_ref(struct fake *f, int64_t n, const char *ref)
{
	pthread_mutex_lock(&f->lock);
	struct ns *ns = find_ns(f, n);
	if (ns)
		copy(ns->client_ref, sizeof(ns->client_ref), ref);
	pthread_mutex_unlock(&f->lock);
}

void fake_broker_set_hosted_zone(struct fake *f, const char *zone)
{
	pthread_mutex_lock(&f->lock);
	copy(f->zone, sizeof(f->zone), zone);
	pthread_mutex_unlock(&f->lock);
}

size_t fake_route53_call_count(struct fake *f)
{
	size_t n;
	pthread_mutex_lock(&f->lock);
	n = f->r53_count;
	pthread_mutex_unlock(&f->lock);
	return n;
}

struct fake_call fake_route53_call_at(struct fake *f, size_t i)
{
	struct fake_call c;
	pthread_mutex_lock(&f->lock);
	c = f->r53[i < f->r53_count ? i : 0];
	pthread_mutex_unlock(&f->lock);
	return c;
}

void fake_route53_fail(struct fake *f, int status, const char *code)
{
	pthread_mutex_lock(&f->lock);
	f->r53_status = status;
	copy(f->r53_code, sizeof(f->r53_code), code);
	pthread_mutex_unlock(&f->lock);
}

void fake_broker_set_tgw(struct fake *f, bool on)
{
	pthread_mutex_lock(&f->lock);
	f->tgw = on;
	pthread_mutex_unlock(&f->lock);
}

size_t fake_invoke_count(struct fake *f)
{
	size_t n;
	pthread_mutex_lock(&f->lock);
	n = f->invoke_count;
	pthread_mutex_unlock(&f->lock);
	return n;
}

struct fake_call fake_invoke_at(struct fake *f, size_t i, char type[32])
{
	struct fake_call c;
	pthread_mutex_lock(&f->lock);
	c = f->invokes[i < f->invoke_count ? i : 0];
	if (type)
		snprintf(type, 32, "%s", f->invoke_types[i < f->invoke_count ? i : 0]);
	pthread_mutex_unlock(&f->lock);
	return c;
}

void fake_invoke_answer(struct fake *f, int status, const char *function_error, const char *body)
{
	pthread_mutex_lock(&f->lock);
	f->invoke_status = status;
	copy(f->invoke_function_error, sizeof(f->invoke_function_error), function_error);
	copy(f->invoke_body, sizeof(f->invoke_body), body);
	pthread_mutex_unlock(&f->lock);
}
