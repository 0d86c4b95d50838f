/* SPDX-License-Identifier: Apache-2.0 */
#include "cfn/handler.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "proof/proof.h"
#include "aws/sigv4.h"
#include "cfn/response.h"
#include "client/broker_client.h"
#include "core/log.h"

#define FAILED_PREFIX       "vpcpeer-failed-"
#define REGISTRATION_PREFIX "vpcpeer-ns-"
#define CONFIRMATION_PREFIX "vpcpeer-confirm-"
#define ID_HASH_LEN         16
#define MIN_CALL_MS         500 /* a broker call with less time than this is not worth starting */

/* One request being handled and its answer in the making. */
struct job {
	const struct vp_cfn_handler_config *cfg;
	const struct vp_cfn_event *ev;
	int64_t deadline_ms;
	int64_t (*now)(void);
	long reserve_ms;
	/* the answer */
	bool success;
	char reason[VP_CFN_REASON_MAX];
	char physical_id[VP_CFN_PHYSICAL_ID_MAX + 1];
	json_t *data;
	int64_t namespace_id;
	const char *action; /* what was done, for the log */
};

static void __attribute__((format(printf, 3, 0)))
set_reason(struct job *j, bool success, const char *fmt, va_list ap)
{
	j->success = success;
	vsnprintf(j->reason, sizeof(j->reason), fmt, ap);
}

static void __attribute__((format(printf, 2, 3))) succeed(struct job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(j, true, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3))) fail(struct job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(j, false, fmt, ap);
	va_end(ap);
	json_decref(j->data);
	j->data = NULL;
}

static void set_physical_id(struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_physical_id(struct job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->physical_id, sizeof(j->physical_id), fmt, ap);
	va_end(ap);
}

void vp_cfn_registration_id(int64_t n, const char *server_id, const char *client_ref,
			    char out[VP_CFN_PHYSICAL_ID_MAX + 1])
{
	char joined[VP_PROOF_SERVER_ID_MAX + VP_CLIENT_REF_MAX + 2];
	char hex[VP_AWS_SHA256_HEX_LEN + 1];

	snprintf(joined, sizeof(joined), "%s\n%s", server_id, client_ref);
	vp_aws_sha256_hex(joined, strlen(joined), hex);
	snprintf(out, VP_CFN_PHYSICAL_ID_MAX + 1, REGISTRATION_PREFIX "%" PRId64 "-%.*s", n,
		 ID_HASH_LEN, hex);
}

/* "vpcpeer-ns-<n>-<hash>": n, or -1 when the id is not one of ours. */
static int64_t registration_id_namespace(const char *id)
{
	const char *p = id + strlen(REGISTRATION_PREFIX), *dash;
	int64_t n = 0;

	if (strncmp(id, REGISTRATION_PREFIX, strlen(REGISTRATION_PREFIX)) != 0)
		return -1;
	dash = strchr(p, '-');
	if (!dash || dash == p || dash - p > 10 || (dash - p > 1 && *p == '0') ||
	    strlen(dash + 1) != ID_HASH_LEN || strspn(dash + 1, "0123456789abcdef") != ID_HASH_LEN)
		return -1;
	for (; p < dash; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n <= INT32_MAX ? n : -1;
}

/* The id of a failed answer: the request's own for Update/Delete, a recognisable one for Create. */
static void failure_physical_id(struct job *j)
{
	if (j->ev->request_type != VP_CFN_CREATE && j->ev->physical_id)
		set_physical_id(j, "%s", j->ev->physical_id);
	else
		set_physical_id(j, FAILED_PREFIX "%s", j->ev->request_id);
}

static vp_code effective_server_id(const struct vp_cfn_broker_props *bp, char *out, size_t size,
				   struct vp_error *err)
{
	vp_code rc;

	if (bp->server_id[0]) {
		snprintf(out, size, "%s", bp->server_id);
		return VP_OK;
	}
	rc = vp_proof_default_server_id(bp->broker_url, out, size, err);
	if (rc != VP_OK)
		vp_error_prefix(err, "property BrokerUrl");
	return rc;
}

/* Milliseconds a broker call may take so that reserve_ms are left at the deadline. */
static long call_budget(const struct job *j)
{
	int64_t left = j->deadline_ms - j->now() - j->reserve_ms;
	long max = j->cfg->max_call_ms > 0 ? j->cfg->max_call_ms : 30000;

	if (left < 0)
		return 0;
	return left < max ? (long)left : max;
}

static vp_code broker_call(struct job *j, const struct vp_cfn_broker_props *bp, const char *method,
			   const char *path, const char *body, struct vp_broker_response *resp,
			   struct vp_error *err)
{
	struct vp_broker_client_config cfg = {0};
	struct vp_broker_client *client = NULL;
	long budget = call_budget(j);
	vp_code rc;

	if (budget < MIN_CALL_MS)
		return vp_fail(err, VP_ERR_UNAVAILABLE,
			       "too little time is left before the Lambda deadline to call the "
			       "broker (%ld ms); raise the function's Timeout",
			       budget);
	cfg.base_url = bp->broker_url;
	cfg.server_id = bp->server_id[0] ? bp->server_id : NULL;
	cfg.ca_file = j->cfg->ca_file;
	cfg.aws = j->cfg->aws;
	cfg.timeout_ms = budget;
	cfg.connect_timeout_ms = budget < 10000 ? budget : 10000;
	rc = vp_broker_client_new(&cfg, &client, err);
	if (rc != VP_OK) {
		vp_error_prefix(err, "property BrokerUrl");
		return rc;
	}
	rc = vp_broker_client_call(client, method, path, body, resp, err);
	vp_broker_client_free(client);
	return rc;
}

static const char *status_hint(long status)
{
	switch (status) {
	case 401:
		return "; check that ServerId matches the broker's --server-id (by default "
		       "BrokerUrl's host:port) and that the function's role credentials are valid";
	case 403:
		return "; ask the hub operator to add this account with --allow-account";
	case 429:
	case 503:
		return "; the broker or AWS is busy: retry the stack operation later";
	default:
		return status >= 500 ? "; ask the hub operator to check the broker's log" : "";
	}
}

/* FAILED with what the broker said: "broker refused the registration: 403 forbidden: ...". */
static void refused(struct job *j, const char *what, long status, const struct vp_buf *body)
{
	json_t *doc = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
	json_t *error = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *message = json_string_value(json_object_get(error, "message"));

	if (code && message)
		fail(j, "broker refused the %s: %ld %s: %.600s%s", what, status, code, message,
		     status_hint(status));
	else
		fail(j, "broker refused the %s: HTTP %ld without an error object%s", what, status,
		     status_hint(status));
	json_decref(doc);
}

static void unreachable(struct job *j, const char *what, const struct vp_error *err)
{
	if (err->code == VP_ERR_IO)
		fail(j, "cannot %s: %s; check BrokerUrl and that the function can reach the broker",
		     what, err->message);
	else
		fail(j, "cannot %s: %s", what, err->message);
}

/* The broker's namespace object, or NULL after answering FAILED. */
static json_t *namespace_object(struct job *j, const struct vp_broker_response *resp)
{
	json_t *doc = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, NULL);
	json_t *n = json_object_get(doc, "NamespaceId");

	if (!json_is_object(doc) || !json_is_integer(n) || json_integer_value(n) < 0 ||
	    !json_is_string(json_object_get(doc, "State"))) {
		fail(j,
		     "the broker answered HTTP %ld without a namespace object (NamespaceId, "
		     "State); is BrokerUrl a vpcpeer broker?",
		     resp->status);
		json_decref(doc);
		return NULL;
	}
	j->namespace_id = json_integer_value(n);
	return doc;
}

static const char *const registration_keys[] = {
	"VpcCidrBlock", "PeerVpcId", "PeerOwnerId", "PeerRoleArn", "PeerRegion", "PeerCidrBlock",
};

/* Data for Fn::GetAtt: every value a string, as CloudFormation hands them on. */
static bool registration_data(struct job *j, json_t *ns)
{
	char key[32], number[24];
	json_t *data = json_object();
	int bad = !data;

	snprintf(number, sizeof(number), "%" PRId64, j->namespace_id);
	bad |= json_object_set_new(data, "NamespaceId", json_string(number));
	for (size_t i = 0; !bad && i < sizeof(registration_keys) / sizeof(registration_keys[0]);
	     i++) {
		const char *v = json_string_value(json_object_get(ns, registration_keys[i]));
		if (!v || !v[0]) {
			json_decref(data);
			fail(j,
			     "the broker's answer for namespace %" PRId64 " has no %s; ask the hub "
			     "operator to check the broker's configuration",
			     j->namespace_id, registration_keys[i]);
			return false;
		}
		bad |= json_object_set_new(data, registration_keys[i], json_string(v));
	}
	for (int s = 0; !bad && s < 26; s++) {
		const char *v;
		snprintf(key, sizeof(key), "Subnet%cCidrBlock", 'A' + s);
		v = json_string_value(json_object_get(ns, key));
		if (!v)
			break;
		bad |= json_object_set_new(data, key, json_string(v));
	}
	if (!bad && !json_object_get(data, "SubnetACidrBlock")) {
		json_decref(data);
		fail(j, "the broker's answer for namespace %" PRId64 " has no SubnetACidrBlock",
		     j->namespace_id);
		return false;
	}
	if (bad) {
		json_decref(data);
		fail(j, "out of memory building the response Data");
		return false;
	}
	j->data = data;
	return true;
}

static void registration_upsert(struct job *j)
{
	struct vp_cfn_registration_props p;
	struct vp_broker_response resp;
	char server_id[VP_PROOF_SERVER_ID_MAX + 1], *body = NULL;
	struct vp_error err;
	const char *state;
	json_t *ns = NULL, *req;

	j->action = "register";
	if (vp_cfn_registration_props_parse(j->ev, NULL, &p, &err) != VP_OK ||
	    effective_server_id(&p.broker, server_id, sizeof(server_id), &err) != VP_OK) {
		fail(j, "%s", err.message);
		return;
	}
	req = json_pack("{ss}", "client_ref", p.client_ref);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		fail(j, "out of memory");
		return;
	}
	vp_broker_response_init(&resp);
	if (broker_call(j, &p.broker, "POST", "/v1/namespaces", body, &resp, &err) != VP_OK) {
		unreachable(j, "register with the broker", &err);
		goto done;
	}
	if (resp.status != 200 && resp.status != 201) {
		refused(j, "registration", resp.status, &resp.body);
		goto done;
	}
	if (!(ns = namespace_object(j, &resp)))
		goto done;
	state = json_string_value(json_object_get(ns, "State"));
	if (strcmp(state, "pending") != 0 && strcmp(state, "active") != 0) {
		fail(j,
		     "namespace %" PRId64 " of client reference '%.300s' is %s at the broker; "
		     "set a new ClientRef property to register again",
		     j->namespace_id, p.client_ref, state);
		goto done;
	}
	if (!registration_data(j, ns))
		goto done;
	vp_cfn_registration_id(j->namespace_id, server_id, p.client_ref, j->physical_id);
	succeed(j, "namespace %" PRId64 " (%s) %s", j->namespace_id,
		json_string_value(json_object_get(ns, "VpcCidrBlock")),
		resp.status == 201 ? "registered" : "registration confirmed (replay)");
done:
	json_decref(ns);
	free(body);
	vp_broker_response_cleanup(&resp);
}

static void registration_delete(struct job *j)
{
	struct vp_cfn_registration_props p;
	struct vp_broker_response resp;
	char server_id[VP_PROOF_SERVER_ID_MAX + 1], path[64], expected[VP_CFN_PHYSICAL_ID_MAX + 1];
	const char *id = j->ev->physical_id, *state, *ref;
	struct vp_error err;
	json_t *ns = NULL;
	int64_t n;

	set_physical_id(j, "%s", id);
	if (strncmp(id, FAILED_PREFIX, strlen(FAILED_PREFIX)) == 0) {
		j->action = "none";
		succeed(j, "nothing to release: the Create of this resource failed");
		return;
	}
	n = registration_id_namespace(id);
	if (n < 0) {
		j->action = "none";
		succeed(j, "'%.200s' is not a vpcpeer registration: nothing to release", id);
		return;
	}
	j->namespace_id = n;
	j->action = "release";
	if (vp_cfn_registration_props_parse(j->ev, NULL, &p, &err) != VP_OK ||
	    effective_server_id(&p.broker, server_id, sizeof(server_id), &err) != VP_OK) {
		fail(j, "cannot release namespace %" PRId64 ": %s", n, err.message);
		return;
	}
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64, n);
	vp_broker_response_init(&resp);
	/* First make sure the number is still this resource's: it may have been reused. */
	if (broker_call(j, &p.broker, "GET", path, NULL, &resp, &err) != VP_OK) {
		unreachable(j, "look up the namespace at the broker", &err);
		goto done;
	}
	if (resp.status == 404) {
		succeed(j, "namespace %" PRId64 " is already gone", n);
		goto done;
	}
	if (resp.status != 200) {
		refused(j, "look-up of the namespace", resp.status, &resp.body);
		goto done;
	}
	if (!(ns = namespace_object(j, &resp)))
		goto done;
	state = json_string_value(json_object_get(ns, "State"));
	ref = json_string_value(json_object_get(ns, "ClientRef"));
	vp_cfn_registration_id(n, server_id, ref ? ref : "", expected);
	if (strcmp(expected, id) != 0) {
		j->action = "none";
		succeed(j,
			"namespace %" PRId64 " now belongs to another registration: nothing "
			"released",
			n);
		goto done;
	}
	if (strcmp(state, "released") == 0) {
		succeed(j, "namespace %" PRId64 " was already released", n);
		goto done;
	}
	if (broker_call(j, &p.broker, "DELETE", path, NULL, &resp, &err) != VP_OK) {
		unreachable(j, "release the namespace at the broker", &err);
		goto done;
	}
	if (resp.status == 200 || resp.status == 404)
		succeed(j, "namespace %" PRId64 " released", n);
	else
		refused(j, "release", resp.status, &resp.body);
done:
	json_decref(ns);
	vp_broker_response_cleanup(&resp);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One TCP connect to any address of host:port within timeout_ms; 0 or an errno. */
static int connect_once(const char *host, unsigned port, long timeout_ms)
{
	struct addrinfo hints = {0}, *list = NULL;
	char service[8];
	int last = ETIMEDOUT;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &list) != 0)
		return EHOSTUNREACH;
	for (struct addrinfo *a = list; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				a->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			last = 0;
		} else if (errno != EINPROGRESS) {
			last = errno;
		} else {
			struct pollfd pfd = {fd, POLLOUT, 0};
			int so = 0;
			socklen_t len = sizeof(so);
			int r = poll(&pfd, 1, (int)timeout_ms);
			if (r == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) == 0)
				last = so;
			else
				last = r == 0 ? ETIMEDOUT : errno;
		}
		close(fd);
		if (last == 0)
			break;
	}
	freeaddrinfo(list);
	return last;
}

/* Keeps trying (routes and security groups may still be settling) until the time is up. */
static bool health_check(struct job *j, const struct vp_cfn_confirmation_props *p)
{
	long limit = j->cfg->health_timeout_ms > 0 ? j->cfg->health_timeout_ms : 20000;
	int64_t start = j->now(), until = start + limit;
	int last = ETIMEDOUT;

	if (until > j->deadline_ms - j->reserve_ms)
		until = j->deadline_ms - j->reserve_ms;
	for (;;) {
		int64_t left = until - j->now();
		if (left <= 0)
			break;
		last = connect_once(p->health_host, p->health_port,
				    left < 3000 ? (long)left : 3000);
		if (last == 0)
			return true;
		left = until - j->now();
		if (left <= 0)
			break;
		sleep_ms(left < 1000 ? (long)left : 1000);
	}
	fail(j,
	     "health check: no TCP connection to %s:%u within %.1f s (last error: %s); check "
	     "the route to the hub through the peering, the hub's security group for this "
	     "VPC's CIDR, and that the function runs in this VPC",
	     p->health_host, p->health_port, (double)(j->now() - start) / 1000.0, strerror(last));
	return false;
}

static void confirmation_upsert(struct job *j)
{
	struct vp_cfn_confirmation_props p;
	struct vp_broker_response resp;
	struct vp_error err;
	char path[64], number[24];
	char *body = NULL;
	json_t *ns = NULL, *req;
	const char *state;

	j->action = "confirm";
	if (vp_cfn_confirmation_props_parse(j->ev, NULL, &p, &err) != VP_OK) {
		fail(j, "%s", err.message);
		return;
	}
	j->namespace_id = p.namespace_id;
	req = json_pack("{ss ss}", "vpc_peering_connection_id", p.peering_id, "vpc_id", p.vpc_id);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		fail(j, "out of memory");
		return;
	}
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64 "/confirm", p.namespace_id);
	vp_broker_response_init(&resp);
	if (broker_call(j, &p.broker, "POST", path, body, &resp, &err) != VP_OK) {
		unreachable(j, "confirm the peering with the broker", &err);
		goto done;
	}
	if (resp.status != 200) {
		refused(j, "confirmation", resp.status, &resp.body);
		if (resp.status == 404)
			snprintf(j->reason + strlen(j->reason),
				 sizeof(j->reason) - strlen(j->reason),
				 "; NamespaceId must be this stack's Registration.NamespaceId");
		goto done;
	}
	if (!(ns = namespace_object(j, &resp)))
		goto done;
	state = json_string_value(json_object_get(ns, "State"));
	if (strcmp(state, "active") != 0) {
		fail(j,
		     "the broker answered the confirmation of namespace %" PRId64 " with state "
		     "%s, not active",
		     j->namespace_id, state);
		goto done;
	}
	if (p.health_host[0] && !health_check(j, &p))
		goto done;
	snprintf(number, sizeof(number), "%" PRId64, p.namespace_id);
	j->data = json_pack("{ss ss ss ss}", "NamespaceId", number, "State", state,
			    "VpcPeeringConnectionId", p.peering_id, "VpcId", p.vpc_id);
	if (!j->data) {
		fail(j, "out of memory building the response Data");
		goto done;
	}
	set_physical_id(j, CONFIRMATION_PREFIX "%" PRId64, p.namespace_id);
	succeed(j, "namespace %" PRId64 " confirmed with %s%s", p.namespace_id, p.peering_id,
		p.health_host[0] ? "; health check passed" : "");
done:
	json_decref(ns);
	free(body);
	vp_broker_response_cleanup(&resp);
}

static void dispatch(struct job *j)
{
	const struct vp_cfn_event *ev = j->ev;

	j->action = "none";
	if (ev->defect.code != VP_OK) {
		fail(j, "%s", ev->defect.message);
		return;
	}
	switch (ev->resource) {
	case VP_CFN_REGISTRATION:
		if (ev->request_type == VP_CFN_DELETE)
			registration_delete(j);
		else
			registration_upsert(j);
		return;
	case VP_CFN_CONFIRMATION:
		if (ev->request_type == VP_CFN_DELETE) {
			set_physical_id(j, "%s", ev->physical_id);
			/* The registration's Delete undoes the routes and the number. */
			succeed(j, "nothing to undo for a confirmation; deleting the registration "
				   "releases the namespace");
		} else {
			confirmation_upsert(j);
		}
		return;
	default:
		if (ev->request_type == VP_CFN_DELETE) {
			set_physical_id(j, "%s", ev->physical_id);
			succeed(j, "nothing to delete: vpcpeer never creates a %.100s",
				ev->resource_type);
		} else {
			fail(j,
			     "unsupported ResourceType '%.100s' (this handler "
			     "serves " VP_CFN_REGISTRATION_TYPE " and " VP_CFN_CONFIRMATION_TYPE
			     ")",
			     ev->resource_type);
		}
	}
}

static void log_request(const struct job *j, int64_t started, bool delivered,
			const struct vp_error *put_err)
{
	const struct vp_cfn_event *ev = j->ev;
	json_t *f = json_object();

	if (!f)
		return;
	json_object_set_new(f, "request_type",
			    json_string(ev->request_type_name ? ev->request_type_name : "unknown"));
	json_object_set_new(f, "resource_type",
			    json_string(ev->resource_type ? ev->resource_type : "unknown"));
	json_object_set_new(f, "logical_id", json_string(ev->logical_id));
	json_object_set_new(f, "stack_id", json_string(ev->stack_id));
	json_object_set_new(f, "cfn_request_id", json_string(ev->request_id));
	json_object_set_new(f, "action", json_string(j->action ? j->action : "none"));
	json_object_set_new(f, "status", json_string(j->success ? "SUCCESS" : "FAILED"));
	json_object_set_new(f, "physical_id", json_string(j->physical_id));
	if (j->namespace_id >= 0)
		json_object_set_new(f, "namespace", json_integer(j->namespace_id));
	json_object_set_new(f, "reason", json_string(j->reason));
	json_object_set_new(f, "delivered", json_boolean(delivered));
	if (!delivered && put_err)
		json_object_set_new(f, "error", json_string(put_err->message));
	json_object_set_new(f, "duration_ms", json_integer(j->now() - started));
	vp_log_event(delivered && j->success ? VP_LOG_INFO : VP_LOG_WARN, "custom resource request",
		     f);
}

/* Render the answer, falling back to FAILED without Data when it does not fit. */
static vp_code render(struct job *j, struct vp_buf *out, struct vp_error *err)
{
	struct vp_cfn_response r = {
		.success = j->success,
		.reason = j->reason,
		.physical_id = j->physical_id,
		.stack_id = j->ev->stack_id,
		.request_id = j->ev->request_id,
		.logical_id = j->ev->logical_id,
		.data = j->data,
	};
	struct vp_error rerr;
	vp_code rc = vp_cfn_response_render(&r, out, &rerr);

	if (rc != VP_ERR_RANGE || !j->data)
		return rc == VP_OK ? VP_OK : vp_fail(err, rc, "%s", rerr.message);
	if (j->success && j->ev->request_type == VP_CFN_CREATE)
		failure_physical_id(j);
	fail(j,
	     "the response Data does not fit in CloudFormation's %d bytes (%s); nothing "
	     "was returned",
	     VP_CFN_RESPONSE_MAX, rerr.message);
	r.success = false;
	r.data = NULL;
	r.physical_id = j->physical_id;
	if ((rc = vp_cfn_response_render(&r, out, &rerr)) != VP_OK)
		return vp_fail(err, rc, "%s", rerr.message);
	return VP_OK;
}

vp_code vp_cfn_handle(const struct vp_cfn_handler_config *cfg, const char *event, size_t len,
		      int64_t deadline_ms, struct vp_cfn_result *result, struct vp_error *err)
{
	struct vp_cfn_put_options put = {0};
	struct vp_cfn_event ev;
	struct vp_error perr;
	struct vp_buf body;
	struct job j;
	int64_t started;
	vp_code rc;

	memset(&j, 0, sizeof(j));
	j.cfg = cfg;
	j.now = cfg->now_ms ? cfg->now_ms : vp_cfn_now_ms;
	j.reserve_ms = cfg->reserve_ms > 0 ? cfg->reserve_ms : 2000;
	j.namespace_id = -1;
	started = j.now();
	j.deadline_ms =
		deadline_ms > 0
			? deadline_ms
			: started + (cfg->default_budget_ms > 0 ? cfg->default_budget_ms : 60000);
	memset(result, 0, sizeof(*result));
	result->namespace_id = -1;

	if (vp_cfn_event_parse(event, len, &ev, err) != VP_OK) {
		vp_log_event(VP_LOG_WARN, "event cannot be answered",
			     json_pack("{ss}", "error", err->message));
		return VP_ERR_INVALID;
	}
	j.ev = &ev;
	dispatch(&j);
	if (!j.success || !j.physical_id[0]) {
		if (j.success) /* a bug: every success names its resource */
			fail(&j, "internal error: no PhysicalResourceId");
		failure_physical_id(&j);
	}

	vp_buf_init(&body, VP_CFN_RESPONSE_MAX);
	rc = render(&j, &body, err);
	if (rc != VP_OK) {
		log_request(&j, started, false, err);
		goto done;
	}
	put.ca_file = cfg->ca_file;
	put.attempts = cfg->put_attempts;
	put.retry_delay_ms = cfg->put_retry_delay_ms;
	put.deadline_ms = j.deadline_ms;
	put.now_ms = cfg->now_ms;
	rc = vp_cfn_response_put(ev.response_url, body.data, body.len, &put, &perr);
	log_request(&j, started, rc == VP_OK, &perr);
	if (rc != VP_OK) {
		rc = vp_fail(err, VP_ERR_IO, "%s", perr.message);
		goto done;
	}
	result->answered = true;
	result->success = j.success;
	snprintf(result->physical_id, sizeof(result->physical_id), "%s", j.physical_id);
	snprintf(result->reason, sizeof(result->reason), "%s", j.reason);
	result->namespace_id = j.namespace_id;
done:
	vp_buf_cleanup(&body);
	json_decref(j.data);
	vp_cfn_event_cleanup(&ev);
	return rc;
}

vp_code vp_cfn_lambda_handler(void *ctx, const struct vp_lambda_invocation *inv,
			      struct vp_buf *response, char *error_type, size_t error_type_size,
			      struct vp_error *err)
{
	const struct vp_cfn_handler_config *cfg = ctx;
	struct vp_cfn_result result;
	json_t *doc;
	char *text;
	vp_code rc;

	rc = vp_cfn_handle(cfg, inv->event.data ? inv->event.data : "", inv->event.len,
			   inv->deadline_ms, &result, err);
	if (rc != VP_OK) {
		snprintf(error_type, error_type_size, "%s",
			 rc == VP_ERR_INVALID ? "InvalidEvent"
			 : rc == VP_ERR_IO    ? "ResponseNotDelivered"
					      : "HandlerError");
		return rc;
	}
	doc = json_pack("{ss ss}", "Status", result.success ? "SUCCESS" : "FAILED",
			"PhysicalResourceId", result.physical_id);
	text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text || vp_buf_appends(response, text) != VP_OK) {
		free(text);
		snprintf(error_type, error_type_size, "HandlerError");
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	free(text);
	return VP_OK;
}
