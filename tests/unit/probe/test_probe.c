/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe's outcomes, each from a real packet exchange: on 127.0.0.1 for
 * connected, refused, the HTTP answers, no answer and TLS; in a network
 * namespace this test makes for timed out and no route (no_route_and_timeout
 * below). Names resolve through an injected resolver, never through DNS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe/probe.h"

/* A socket on 127.0.0.1, its port in *port: listening, or only bound (so it refuses). */
static int loopback_socket(bool listening, uint16_t *port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	if (listening)
		assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

static struct vp_probe_target target(const char *fmt, ...)
{
	struct vp_probe_target t;
	struct vp_error err;
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (vp_probe_target_parse(text, strlen(text), &t, &err) != VP_OK)
		fail_msg("%s: %s", text, err.message);
	return t;
}

/*
 * Short limits, for the outcomes that let the deadline pass (refused, not
 * resolved, no answer: retried until then), or (timed out) need it to.
 */
static struct vp_probe_options quick(void)
{
	struct vp_probe_options o;
	vp_probe_options_init(&o);
	o.timeout_ms = 600;
	o.attempt_timeout_ms = 300;
	o.interval_ms = 0;
	return o;
}

/*
 * Long limits, for the outcomes that end the attempts at once (connected,
 * TLS failed) or are retried (HTTP errors): bounds, never waited for, so a
 * loaded machine (an ASan build beside other tests) cannot turn an answer
 * into a timeout.
 */
static struct vp_probe_options patient(void)
{
	struct vp_probe_options o = quick();
	o.timeout_ms = 2000;
	o.attempt_timeout_ms = 2000;
	return o;
}

static struct vp_probe_result probe(struct vp_probe_target t, const struct vp_probe_options *o)
{
	struct vp_probe_result r;
	struct vp_error err;
	if (vp_probe_run(&t, 1, o, &r, &err) != VP_OK)
		fail_msg("%s", err.message);
	return r;
}

static void test_connected(void **state)
{
	struct vp_probe_options o = patient();
	uint16_t port;
	int fd = loopback_socket(true, &port);
	struct vp_probe_result r = probe(target("127.0.0.1:%u", port), &o);
	(void)state;
	assert_int_equal(r.outcome, VP_PROBE_CONNECTED);
	assert_true(r.reached);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.address, "127.0.0.1");
	assert_string_equal(r.local_address, "127.0.0.1");
	assert_non_null(strstr(r.message, "connected to 127.0.0.1:"));
	close(fd);
}

static void test_refused(void **state)
{
	struct vp_probe_options o = quick();
	uint16_t port;
	int fd = loopback_socket(false, &port); /* bound, not listening: the kernel resets */
	struct vp_probe_result r = probe(target("127.0.0.1:%u", port), &o);
	(void)state;
	assert_int_equal(r.outcome, VP_PROBE_REFUSED);
	assert_false(r.reached);
	assert_true(r.attempts >= 2); /* retried within the deadline */
	assert_true(r.attempts <= VP_PROBE_MAX_ATTEMPTS);
	assert_non_null(strstr(r.message, "refused the connection"));
	assert_non_null(strstr(r.message, "nothing listens on port"));
	close(fd);
}

/* A name: the injected resolver knows hub.test (127.0.0.1) and nothing else. */
static int calls;
static int test_resolver(const char *host, uint16_t port, struct sockaddr_storage *addrs, int max,
			 const char **why)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&addrs[0];
	calls++;
	assert_true(max >= 1);
	if (strcmp(host, "hub.test") != 0) {
		*why = "Name or service not known";
		return 0;
	}
	memset(&addrs[0], 0, sizeof(addrs[0]));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 1;
}

/* Resolves only from the third call on: the probe's retries outlast a late name. */
static int late_resolver(const char *host, uint16_t port, struct sockaddr_storage *addrs, int max,
			 const char **why)
{
	if (++calls < 3) {
		*why = "Temporary failure in name resolution";
		return 0;
	}
	calls--; /* test_resolver counts this one */
	return test_resolver(host, port, addrs, max, why);
}

static void test_names(void **state)
{
	struct vp_probe_options o = patient();
	struct vp_probe_result r;
	uint16_t port;
	int fd = loopback_socket(true, &port);
	(void)state;
	o.resolve = test_resolver;
	calls = 0;
	r = probe(target("hub.test:%u", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_CONNECTED);
	assert_int_equal(calls, 1);
	/* .invalid (RFC 6761) would never resolve; the injected resolver says so at once. */
	r = probe(target("hub.invalid:%u", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_NOT_RESOLVED);
	assert_true(r.attempts >= 2);
	assert_non_null(strstr(r.message, "the name hub.invalid does not resolve here"));
	assert_non_null(strstr(r.message, "Name or service not known"));
	assert_string_equal(r.address, "");
	o.resolve = late_resolver;
	o.timeout_ms = 5000; /* a bound, not a wait: it connects on the third attempt */
	calls = 0;
	r = probe(target("hub.test:%u", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_CONNECTED);
	assert_int_equal(r.attempts, 3);
	close(fd);
}

/* The HTTP service: /ok 200, /moved 302, /missing 404, /broken 503. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **ctx)
{
	unsigned status = strcmp(url, "/ok") == 0       ? 200
			  : strcmp(url, "/moved") == 0  ? 302
			  : strcmp(url, "/broken") == 0 ? 503
							: 404;
	struct MHD_Response *resp = MHD_create_response_from_buffer(5, (void *)(uintptr_t) "body\n",
								    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;
	(void)cls, (void)method, (void)version, (void)data, (void)size, (void)ctx;
	if (status == 302)
		MHD_add_response_header(resp, "Location", "http://203.0.113.1/elsewhere");
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void test_http(void **state)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	struct vp_probe_options o = patient();
	struct MHD_Daemon *d;
	struct vp_probe_result r;
	unsigned port;
	(void)state;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, NULL,
			     MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
	assert_non_null(d);
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	o.resolve = test_resolver;

	r = probe(target("http://127.0.0.1:%u/ok", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_CONNECTED);
	assert_int_equal(r.http_status, 200);
	assert_non_null(strstr(r.message, "HTTP 200 from 127.0.0.1:"));
	/* A 3xx is an answer; the redirect (to a documentation address) is not followed. */
	r = probe(target("http://hub.test:%u/moved", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_CONNECTED);
	assert_int_equal(r.http_status, 302);
	assert_string_equal(r.address, "127.0.0.1");
	r = probe(target("http://127.0.0.1:%u/missing", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_HTTP_STATUS);
	assert_int_equal(r.http_status, 404);
	assert_non_null(strstr(r.message, "the network path works"));
	r = probe(target("http://hub.test:%u/broken", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_HTTP_STATUS);
	assert_int_equal(r.http_status, 503);
	assert_true(r.attempts >= 2); /* a service may be starting: retried */
	o.timeout_ms = 600;
	r = probe(target("http://hub.invalid:%u/ok", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_NOT_RESOLVED);
	MHD_stop_daemon(d);
}

/* Answers the first connection with plain text, as an HTTP port answers a TLS hello. */
static void *plain_answer(void *arg)
{
	static const char text[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	int fd = accept(*(int *)arg, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (write(fd, text, sizeof(text) - 1) < 0) {
		/* the probe then sees no answer, and the test says so */
	}
	close(fd);
	return NULL;
}

/* TLS to a port that speaks plain text: connected, the handshake fails, not retried. */
static void test_tls(void **state)
{
	struct vp_probe_options o = patient();
	struct vp_probe_result r;
	pthread_t thread;
	uint16_t port;
	int fd = loopback_socket(true, &port);
	(void)state;
	assert_int_equal(pthread_create(&thread, NULL, plain_answer, &fd), 0);
	r = probe(target("https://127.0.0.1:%u/ok", port), &o);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(r.outcome, VP_PROBE_TLS_FAILED);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(r.message, "TLS failed"));
	close(fd);
}

/* A listener that never accepts: the connection is made, no HTTP answer comes. */
static void test_no_answer(void **state)
{
	struct vp_probe_options o = quick();
	uint16_t port;
	int fd = loopback_socket(true, &port);
	struct vp_probe_result r = probe(target("http://127.0.0.1:%u/", port), &o);
	(void)state;
	assert_int_equal(r.outcome, VP_PROBE_NO_ANSWER);
	assert_non_null(strstr(r.message, "no HTTP answer"));
	close(fd);
	/* Closed: an HTTP target refused says so, as a TCP one does. */
	fd = loopback_socket(false, &port);
	r = probe(target("http://127.0.0.1:%u/", port), &o);
	assert_int_equal(r.outcome, VP_PROBE_REFUSED);
	close(fd);
}

/* Several targets at once, each its own result in its own place. */
static void test_many(void **state)
{
	struct vp_probe_target t[3];
	struct vp_probe_result r[3];
	struct vp_probe_options o = quick();
	struct vp_error err;
	uint16_t open_port, closed_port;
	int open_fd = loopback_socket(true, &open_port),
	    closed_fd = loopback_socket(false, &closed_port);
	(void)state;
	o.resolve = test_resolver;
	t[0] = target("127.0.0.1:%u", open_port);
	t[1] = target("127.0.0.1:%u", closed_port);
	t[2] = target("hub.test:%u", open_port);
	assert_int_equal(vp_probe_run(t, 3, &o, r, &err), VP_OK);
	assert_int_equal(r[0].outcome, VP_PROBE_CONNECTED);
	assert_int_equal(r[1].outcome, VP_PROBE_REFUSED);
	assert_int_equal(r[2].outcome, VP_PROBE_CONNECTED);
	assert_int_equal(vp_probe_run(t, 0, &o, r, &err), VP_ERR_INVALID);
	assert_int_equal(vp_probe_run(t, VP_PROBE_MAX_TARGETS + 1, &o, r, &err), VP_ERR_INVALID);
	o.timeout_ms = 0;
	assert_int_equal(vp_probe_run(t, 1, &o, r, &err), VP_ERR_INVALID);
	close(open_fd);
	close(closed_fd);
}

/*
 * Timed out and no route need routes that 127.0.0.1 does not have. A child
 * unshares a network namespace of its own (so nothing is added to the
 * machine's, nothing is named, and the kernel removes the namespace with
 * the child, also when the test is killed: there is nothing to clean up)
 * and builds in it:
 *   10.9.9.0/24 via 10.9.8.2 on a veth whose peer is down: sent, never
 *     answered, as a security group or a missing route in AWS drops;
 *   unreachable 10.9.7.0/24 and blackhole 10.9.5.0/24: this host's own table;
 *   nothing at all for 10.9.6.0/24: no route.
 * The child probes and writes the results to a pipe.
 */
#define NS_SETUP                                                                                   \
	"set -e; ip link set lo up; ip link add vp0 type veth peer name vp1; "                     \
	"ip link set vp0 up; ip addr add 10.9.8.1/24 dev vp0; "                                    \
	"ip neigh replace 10.9.8.2 lladdr 02:00:00:00:00:02 dev vp0 nud permanent; "               \
	"ip route add 10.9.9.0/24 via 10.9.8.2 dev vp0 onlink; "                                   \
	"ip route add unreachable 10.9.7.0/24; ip route add blackhole 10.9.5.0/24"

enum { NS_TARGETS = 5, CHILD_SKIP = 77 };

static int ns_child(int out)
{
	struct vp_probe_target t[NS_TARGETS];
	struct vp_probe_result r[NS_TARGETS];
	struct vp_probe_options o = quick(), at_once = patient();
	struct vp_error err;

	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "skip: cannot make a network namespace (unshare: %s)\n",
			strerror(errno));
		return CHILD_SKIP;
	}
	if (system("command -v ip >/dev/null") != 0) {
		fprintf(stderr, "skip: no ip command (iproute2; scripts/setup installs it)\n");
		return CHILD_SKIP;
	}
	if (system(NS_SETUP) != 0)
		return 1;
	o.timeout_ms = 400;
	o.attempt_timeout_ms = 200;
	t[0] = target("10.9.9.5:443");
	t[1] = target("10.9.7.5:443");
	t[2] = target("10.9.6.5:443");
	t[3] = target("http://10.9.5.5:80/");
	t[4] = target("http://10.9.9.5:8080/health");
	/* The timeouts with short limits; no route, which fails at once, with long ones. */
	if (vp_probe_run(t, 1, &o, r, &err) != VP_OK ||
	    vp_probe_run(t + 1, 3, &at_once, r + 1, &err) != VP_OK ||
	    vp_probe_run(t + 4, 1, &o, r + 4, &err) != VP_OK)
		return 1;
	return write(out, r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1;
}

static void test_no_route_and_timeout(void **state)
{
	struct vp_probe_result r[NS_TARGETS];
	int fds[2], status = 0;
	ssize_t got = 0, n;
	pid_t pid;
	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		_exit(ns_child(fds[1]));
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof(r) &&
	       ((n = read(fds[0], (char *)r + got, sizeof(r) - (size_t)got)) > 0 ||
		(n < 0 && errno == EINTR)))
		got += n > 0 ? n : 0;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == CHILD_SKIP) {
		const char *ci = getenv("CI");
		if (ci && strcmp(ci, "true") == 0)
			fail_msg("CI=true: the namespace tests must run, not skip");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(got, (ssize_t)sizeof(r));

	assert_int_equal(r[0].outcome, VP_PROBE_TIMED_OUT);
	assert_true(r[0].attempts >= 2);
	assert_string_equal(r[0].local_address, "10.9.8.1");
	assert_non_null(strstr(r[0].message, "this VPC's route table"));
	assert_non_null(strstr(r[0].message, "the hub's route table (of the target's subnet) for a "
					     "route back to 10.9.8.1"));
	assert_non_null(strstr(r[0].message, "security group"));
	assert_non_null(strstr(r[0].message, "network ACLs"));

	assert_int_equal(r[1].outcome, VP_PROBE_NO_ROUTE);
	assert_non_null(strstr(r[1].message, "an unreachable route"));
	assert_non_null(strstr(r[1].message, "ip route get 10.9.7.5"));
	assert_int_equal(r[2].outcome, VP_PROBE_NO_ROUTE);
	assert_non_null(strstr(r[2].message, "no route to that network"));
	assert_non_null(strstr(r[2].message, "not the VPC's route tables"));
	assert_int_equal(r[3].outcome, VP_PROBE_NO_ROUTE); /* the same words by HTTP */
	assert_non_null(strstr(r[3].message, "a blackhole route"));
	/* libcurl's timeout before any connection: dropped on the way, as for TCP. */
	assert_int_equal(r[4].outcome, VP_PROBE_TIMED_OUT);
	assert_non_null(strstr(r[4].message, "no answer from 10.9.9.5:8080"));
	assert_non_null(strstr(r[4].message, "admitting 10.9.8.1 on TCP 8080"));
	assert_string_equal(r[4].local_address, "10.9.8.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connected), cmocka_unit_test(test_refused),
		cmocka_unit_test(test_names),     cmocka_unit_test(test_http),
		cmocka_unit_test(test_tls),       cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_many),      cmocka_unit_test(test_no_route_and_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
