/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Custom::PeeringConfirmation (docs/lambda.md): Create and Update confirm
 * the peering with the broker, then, with a HealthCheck, keep trying a TCP
 * connection to HOST:PORT through it until the time is up. Delete has
 * nothing to undo (handler.c answers it). In broker mode without a
 * VpcPeeringConnectionId the handler requests the peering first
 * (handler_peering.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "cfn/handler_internal.h"
#include "core/clock.h"

#define CONFIRMATION_PREFIX "vpcpeer-confirm-"

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
static bool health_check(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p)
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
		vp_clock_sleep_ms(left < 1000 ? (long)left : 1000);
	}
	vp_cfn_job_fail(
		j,
		"health check: no TCP connection to %s:%u within %.1f s (last error: %s); check "
		"the route to the hub through the peering, the hub's security group for this "
		"VPC's CIDR, and that the function runs in this VPC",
		p->health_host, p->health_port, (double)(j->now() - start) / 1000.0,
		strerror(last));
	return false;
}

bool vp_cfn_job_confirm(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p,
			const char *pcx)
{
	struct vp_broker_response resp;
	struct vp_error err;
	char path[64], number[24];
	char *body = NULL;
	json_t *ns = NULL, *req;
	const char *state;
	bool ok = false;

	j->namespace_id = p->namespace_id;
	req = json_pack("{ss ss}", "vpc_peering_connection_id", pcx, "vpc_id", p->vpc_id);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		vp_cfn_job_fail(j, "out of memory");
		return false;
	}
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64 "/confirm", p->namespace_id);
	vp_broker_response_init(&resp);
	if (vp_cfn_job_broker_call(j, &p->broker, "POST", path, body, &resp, &err) != VP_OK) {
		vp_cfn_job_unreachable(j, "confirm the peering with the broker", &err);
		goto done;
	}
	if (resp.status != 200) {
		vp_cfn_job_refused(j, "confirmation", resp.status, &resp.body);
		if (resp.status == 404)
			snprintf(j->reason + strlen(j->reason),
				 sizeof(j->reason) - strlen(j->reason),
				 "; NamespaceId must be this stack's Registration.NamespaceId");
		goto done;
	}
	if (!(ns = vp_cfn_job_namespace(j, &resp)))
		goto done;
	state = json_string_value(json_object_get(ns, "State"));
	if (strcmp(state, "active") != 0) {
		vp_cfn_job_fail(j,
				"the broker answered the confirmation of namespace %" PRId64
				" with state "
				"%s, not active",
				j->namespace_id, state);
		goto done;
	}
	if (p->health_host[0] && !health_check(j, p))
		goto done;
	snprintf(number, sizeof(number), "%" PRId64, p->namespace_id);
	j->data = json_pack("{ss ss ss ss}", "NamespaceId", number, "State", state,
			    "VpcPeeringConnectionId", pcx, "VpcId", p->vpc_id);
	if (!j->data) {
		vp_cfn_job_fail(j, "out of memory building the response Data");
		goto done;
	}
	ok = true;
done:
	json_decref(ns);
	free(body);
	vp_broker_response_cleanup(&resp);
	return ok;
}

void vp_cfn_confirmation_upsert(struct vp_cfn_job *j)
{
	struct vp_cfn_confirmation_props p;
	struct vp_error err;

	j->action = "confirm";
	if (vp_cfn_confirmation_props_parse(j->ev, NULL, &p, &err) != VP_OK ||
	    vp_cfn_job_pin_broker(j, &p.broker, &err) != VP_OK) {
		vp_cfn_job_fail(j, "%s", err.message);
		return;
	}
	j->namespace_id = p.namespace_id;
	if (p.accepter == VP_CFN_ACCEPTER_BROKER && !p.peering_id[0]) {
		vp_cfn_peering_upsert(j, &p);
		return;
	}
	if (!vp_cfn_job_confirm(j, &p, p.peering_id))
		return;
	vp_cfn_job_set_physical_id(j, CONFIRMATION_PREFIX "%" PRId64, p.namespace_id);
	vp_cfn_job_succeed(j, "namespace %" PRId64 " confirmed with %s%s", p.namespace_id,
			   p.peering_id, p.health_host[0] ? "; health check passed" : "");
}
