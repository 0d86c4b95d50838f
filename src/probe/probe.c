/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe's loop (attempts within a deadline, one thread per target) and
 * its words. Each outcome points where a network engineer looks next, from
 * what AWS does with a packet it does not let through:
 *
 * - refused: a TCP reset came back. Security groups have allow rules only
 *   and no deny rules ("You can specify allow rules, but not deny rules"),
 *   so what they do not allow is dropped, never answered; network ACLs,
 *   stateless, drop too
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html,
 *   https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html,
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html).
 *   A reset therefore comes from the target host itself: the routes both
 *   ways and the filters on the way work, and nothing listens on the port
 *   (or the host's own firewall rejects).
 * - timed out: nothing came back, which is what a missing route, a security
 *   group or a network ACL does. A peering needs routes on both sides: this
 *   VPC's route table to the hub's block and the hub's route table back to
 *   this VPC's block (https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-routing.html),
 *   so the words name both, with this host's source address for the way back.
 * - no route: connect() failed at once on this host (ENETUNREACH,
 *   EHOSTUNREACH, EACCES for a prohibit route): this host's own routing
 *   table, not the VPC's. In a VPC an instance sends everything to the
 *   subnet's router, and the VPC's route tables drop silently (timed out).
 */
#include "probe/probe.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "probe/internal.h"

const char *vp_probe_outcome_name(enum vp_probe_outcome outcome)
{
	switch (outcome) {
	case VP_PROBE_CONNECTED:
		return "connected";
	case VP_PROBE_REFUSED:
		return "refused";
	case VP_PROBE_TIMED_OUT:
		return "timed_out";
	case VP_PROBE_NO_ROUTE:
		return "no_route";
	case VP_PROBE_NOT_RESOLVED:
		return "not_resolved";
	case VP_PROBE_HTTP_STATUS:
		return "http_status";
	case VP_PROBE_NO_ANSWER:
		return "no_answer";
	case VP_PROBE_TLS_FAILED:
		return "tls_failed";
	case VP_PROBE_ERROR:
		return "error";
	}
	return "error";
}

void vp_probe_options_init(struct vp_probe_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 10000;
	o->attempt_timeout_ms = 3000;
	o->interval_ms = 1000;
}

enum vp_probe_outcome probe_outcome_of_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return VP_PROBE_REFUSED;
	case ETIMEDOUT:
		return VP_PROBE_TIMED_OUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EACCES:
	case EPERM:
	case EINVAL: /* Linux: a blackhole route */
	case EADDRNOTAVAIL:
		return VP_PROBE_NO_ROUTE;
	default:
		return VP_PROBE_ERROR;
	}
}

const char *probe_errno_text(int e)
{
	const char *text = strerrordesc_np(e);
	return text ? text : "an unknown error";
}

void probe_format_address(const struct sockaddr_storage *addr, char *out, size_t size)
{
	const void *raw = addr->ss_family == AF_INET6
				  ? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
				  : (const void *)&((const struct sockaddr_in *)addr)->sin_addr;

	if (!inet_ntop(addr->ss_family, raw, out, (socklen_t)size))
		snprintf(out, size, "?");
}

void probe_source_address(const char *addr, char *out, size_t size)
{
	struct sockaddr_storage to, from;
	socklen_t from_len = sizeof(from);
	struct sockaddr_in *in = (struct sockaddr_in *)&to;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&to;
	int fd;

	out[0] = '\0';
	memset(&to, 0, sizeof(to));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(9);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(9);
	} else {
		return;
	}
	fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&to,
		    to.ss_family == AF_INET6 ? sizeof(*in6) : sizeof(*in)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&from, &from_len) == 0)
		probe_format_address(&from, out, size);
	close(fd);
}

static int getaddrinfo_resolve(const char *host, uint16_t port, struct sockaddr_storage *addrs,
			       int max, const char **why)
{
	struct addrinfo hints, *res = NULL;
	char service[8];
	int count = 0, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		*why = gai_strerror(rc);
		return rc == EAI_MEMORY || rc == EAI_SYSTEM ? -1 : 0;
	}
	for (struct addrinfo *ai = res; ai && count < max; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(addrs[0]))
			continue;
		memset(&addrs[count], 0, sizeof(addrs[count]));
		memcpy(&addrs[count], ai->ai_addr, ai->ai_addrlen);
		count++;
	}
	freeaddrinfo(res);
	if (count == 0)
		*why = "no IPv4 or IPv6 address";
	return count;
}

int probe_addresses(const struct vp_probe_target *target, const struct vp_probe_options *o,
		    struct sockaddr_storage *addrs, struct probe_attempt *a)
{
	const char *why = "";
	int count;

	memset(&addrs[0], 0, sizeof(addrs[0]));
	if (target->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&addrs[0];
		in->sin_family = AF_INET;
		in->sin_port = htons(target->port);
		count = inet_pton(AF_INET, target->host, &in->sin_addr) == 1;
	} else if (target->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addrs[0];
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(target->port);
		count = inet_pton(AF_INET6, target->host, &in6->sin6_addr) == 1;
	} else {
		vp_probe_resolve_fn resolve = o->resolve ? o->resolve : getaddrinfo_resolve;
		count = resolve(target->host, target->port, addrs, VP_PROBE_MAX_ADDRESSES, &why);
		if (count > VP_PROBE_MAX_ADDRESSES)
			count = VP_PROBE_MAX_ADDRESSES;
	}
	if (count > 0)
		return count;
	a->outcome = count == 0 ? VP_PROBE_NOT_RESOLVED : VP_PROBE_ERROR;
	a->address[0] = a->local_address[0] = '\0';
	snprintf(a->detail, sizeof(a->detail), "%s", why && why[0] ? why : "the resolver failed");
	return 0;
}

/* What each errno of a connect that failed at once says about this host's routing. */
static const char *no_route_why(int e)
{
	switch (e) {
	case ENETUNREACH:
		return "no route to that network";
	case EHOSTUNREACH:
		return "an unreachable route, or no neighbour answered on the local link";
	case EINVAL:
		return "a blackhole route";
	case EACCES:
	case EPERM:
		return "a prohibit route or this host's firewall";
	case EADDRNOTAVAIL:
		return "no source address of that family";
	default:
		return probe_errno_text(e);
	}
}

/* "ADDR:P", the address in brackets when IPv6. */
static void where(const struct vp_probe_target *t, const struct probe_attempt *a, char *out,
		  size_t size)
{
	const char *addr = a->address[0] ? a->address : t->host;
	snprintf(out, size, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, (unsigned)t->port);
}

/* The result's message: what happened, and where to look. */
static void words(const struct vp_probe_target *t, const struct probe_attempt *a, int attempts,
		  struct vp_probe_result *r)
{
	const char *local = a->local_address[0] ? a->local_address : "this host's address";
	char at[VP_PROBE_HOST_MAX + 16];
	size_t n = sizeof(r->message);

	where(t, a, at, sizeof(at));
	switch (a->outcome) {
	case VP_PROBE_CONNECTED:
		if (t->kind == VP_PROBE_TCP)
			snprintf(r->message, n, "connected to %s in %lld ms", at,
				 (long long)a->time_ms);
		else
			snprintf(r->message, n, "HTTP %ld from %s in %lld ms", a->http_status, at,
				 (long long)a->time_ms);
		break;
	case VP_PROBE_REFUSED:
		snprintf(r->message, n,
			 "%s refused the connection: the host answered, so the routes both ways "
			 "and the security groups and network ACLs on the way let it through "
			 "(they drop, they never refuse); nothing listens on port %u there, or "
			 "the host's own firewall rejects: check the service",
			 at, (unsigned)t->port);
		break;
	case VP_PROBE_TIMED_OUT:
		snprintf(r->message, n,
			 "no answer from %s (%d attempt%s): packets are dropped on the way, as a "
			 "missing route, a security group or a network ACL drops them. Check "
			 "this VPC's route table (of this host's subnet) for a route to %s "
			 "through the peering or transit gateway; the hub's route table (of the "
			 "target's subnet) for a route back to %s; the hub's security group for "
			 "a rule admitting %s on TCP %u; the network ACLs of both subnets, both "
			 "ways",
			 at, attempts, attempts == 1 ? "" : "s",
			 a->address[0] ? a->address : t->host, local, local, (unsigned)t->port);
		break;
	case VP_PROBE_NO_ROUTE:
		snprintf(r->message, n,
			 "this host cannot send to %s (%s): its own routing table has no usable "
			 "route there (`ip route get %s`); in a VPC a host sends everything to "
			 "its subnet's router, so check this host's network setup, not the VPC's "
			 "route tables",
			 at, no_route_why(a->sys_errno), a->address[0] ? a->address : t->host);
		break;
	case VP_PROBE_NOT_RESOLVED:
		snprintf(r->message, n,
			 "the name %s does not resolve here (%s): check that this VPC has DNS "
			 "resolution on and, for a hub's private name, that the hub's private "
			 "hosted zone is associated with this VPC or the peering resolves the "
			 "hub's DNS names",
			 t->host, a->detail);
		break;
	case VP_PROBE_HTTP_STATUS:
		snprintf(r->message, n,
			 "HTTP %ld from %s in %lld ms: the network path works; the service "
			 "answered with an error",
			 a->http_status, at, (long long)a->time_ms);
		break;
	case VP_PROBE_NO_ANSWER:
		snprintf(r->message, n,
			 "connected to %s but got no HTTP answer (%s): the network path works; "
			 "the service closed the connection, does not speak %s there, or is "
			 "slower than the attempt timeout",
			 at, a->detail, t->kind == VP_PROBE_HTTPS ? "HTTPS" : "HTTP");
		break;
	case VP_PROBE_TLS_FAILED:
		snprintf(r->message, n,
			 "connected to %s but TLS failed (%s): the network path works; check "
			 "the service's certificate (its name must match %s) or give --ca-file",
			 at, a->detail, t->host);
		break;
	case VP_PROBE_ERROR:
		snprintf(r->message, n, "could not probe %s: %s", at, a->detail);
		break;
	}
}

void vp_probe_one(const struct vp_probe_target *target, const struct vp_probe_options *o,
		  struct vp_probe_result *r)
{
	int64_t deadline = vp_clock_monotonic_ms() + o->timeout_ms, wait = o->interval_ms;
	struct probe_attempt a;
	int attempts = 0;

	memset(r, 0, sizeof(*r));
	for (;;) {
		int64_t left = deadline - vp_clock_monotonic_ms();
		int64_t limit = left < o->attempt_timeout_ms ? left : o->attempt_timeout_ms;

		memset(&a, 0, sizeof(a));
		attempts++;
		if (target->kind == VP_PROBE_TCP)
			probe_tcp_attempt(target, o, limit > 0 ? limit : 1, &a);
		else
			probe_http_attempt(target, o, limit > 0 ? limit : 1, &a);
		/* A certificate does not mend itself while we wait; everything else may. */
		if (a.outcome == VP_PROBE_CONNECTED || a.outcome == VP_PROBE_TLS_FAILED ||
		    attempts >= VP_PROBE_MAX_ATTEMPTS || vp_clock_monotonic_ms() + wait >= deadline)
			break;
		vp_clock_sleep_ms(wait);
		wait = wait * 2 < VP_PROBE_MAX_INTERVAL_MS ? wait * 2 : VP_PROBE_MAX_INTERVAL_MS;
		if (wait < o->interval_ms)
			wait = o->interval_ms;
	}
	r->outcome = a.outcome;
	r->reached = a.outcome == VP_PROBE_CONNECTED;
	r->attempts = attempts;
	r->time_ms = a.time_ms;
	r->http_status = a.http_status;
	snprintf(r->address, sizeof(r->address), "%s", a.address);
	snprintf(r->local_address, sizeof(r->local_address), "%s", a.local_address);
	words(target, &a, attempts, r);
}

struct job {
	const struct vp_probe_target *target;
	const struct vp_probe_options *options;
	struct vp_probe_result *result;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	vp_probe_one(j->target, j->options, j->result);
	return NULL;
}

#define LIMIT_MS (3600 * 1000)

vp_code vp_probe_run(const struct vp_probe_target *targets, int count,
		     const struct vp_probe_options *options, struct vp_probe_result *results,
		     struct vp_error *err)
{
	pthread_t threads[VP_PROBE_MAX_TARGETS];
	struct job jobs[VP_PROBE_MAX_TARGETS];
	vp_code rc = VP_OK;
	int started = 0;

	if (count < 1 || count > VP_PROBE_MAX_TARGETS)
		return vp_fail(err, VP_ERR_INVALID, "probe 1..%d targets, not %d",
			       VP_PROBE_MAX_TARGETS, count);
	if (options->timeout_ms < 1 || options->timeout_ms > LIMIT_MS ||
	    options->attempt_timeout_ms < 1 || options->attempt_timeout_ms > LIMIT_MS ||
	    options->interval_ms < 0 || options->interval_ms > LIMIT_MS)
		return vp_fail(err, VP_ERR_INVALID,
			       "the probe's timeouts are 1 ms..1 h and its interval 0..1 h");
	/* Before any thread: libcurl's global set-up is not thread-safe. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return vp_fail(err, VP_ERR_INTERNAL, "libcurl failed to initialise");
	for (int i = 0; i < count; i++) {
		jobs[i] = (struct job){&targets[i], options, &results[i]};
		if (count == 1) {
			run_job(&jobs[i]);
			break;
		}
		if (pthread_create(&threads[i], NULL, run_job, &jobs[i]) != 0) {
			rc = vp_fail(err, VP_ERR_INTERNAL,
				     "cannot start a thread for target %d of %d", i + 1, count);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	curl_global_cleanup();
	return rc;
}
