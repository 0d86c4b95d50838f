/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server against slow and greedy clients and behind load balancers
 * (issue 14): the PROXY v2 parser, trusted ranges and X-Forwarded-For as
 * pure functions, then the real server on 127.0.0.1:0 with raw sockets bound
 * to other loopback addresses (127.0.0.2, .3: other sources). Only /healthz
 * is asked for, so no broker and no verifier are needed. The waits below are
 * bounds after which a test fails, never synchronisation: each loop waits
 * for an event (a close, an answer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/proxy.h"
#include "api/server.h"
#include "core/clock.h"
#include "core/log.h"

#define BOUND_MS 15000 /* a test fails when what it waits for has not happened by then */

/* ---- pure functions ---------------------------------------------------------------------- */

/* A PROXY v2 header: PROXY over TCP/IPv4 from src:sport. */
static size_t proxy_v4(unsigned char *out, const char *src, uint16_t sport)
{
	static const unsigned char sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
	struct in_addr a, d;
	uint16_t sp = htons(sport), dp = htons(443);

	inet_pton(AF_INET, src, &a);
	inet_pton(AF_INET, "10.0.0.1", &d);
	memcpy(out, sig, 12);
	out[12] = 0x21;
	out[13] = 0x11;
	out[14] = 0;
	out[15] = 12;
	memcpy(out + 16, &a, 4);
	memcpy(out + 20, &d, 4);
	memcpy(out + 24, &sp, 2);
	memcpy(out + 26, &dp, 2);
	return 28;
}

static void test_proxy_parse(void **state)
{
	unsigned char buf[64];
	struct vp_proxy_header h;
	char addr[VP_PROXY_SOURCE_MAX];
	struct vp_error err;
	size_t need, len = proxy_v4(buf, "203.0.113.7", 4242);
	(void)state;

	/* byte by byte: more is needed until the last one */
	for (size_t n = 1; n < len; n++) {
		assert_int_equal(vp_proxy_parse(buf, n, &need, &h, &err), VP_OK);
		assert_true(need > n && need <= len);
	}
	assert_int_equal(vp_proxy_parse(buf, len, &need, &h, &err), VP_OK);
	assert_int_equal(need, 0);
	assert_int_equal(h.length, 28);
	assert_false(h.local);
	vp_proxy_addr_string((const struct sockaddr *)&h.source, addr);
	assert_string_equal(addr, "203.0.113.7");
	/* LOCAL (the balancer's health check) */
	buf[12] = 0x20;
	assert_int_equal(vp_proxy_parse(buf, len, &need, &h, &err), VP_OK);
	assert_true(h.local);
	/* version 1, a wrong signature, HTTP, a UNIX family, a huge length */
	buf[12] = 0x11;
	assert_int_equal(vp_proxy_parse(buf, len, &need, &h, &err), VP_ERR_INVALID);
	buf[12] = 0x21;
	assert_int_equal(
		vp_proxy_parse((const unsigned char *)"GET / HTTP/1.1\r\n", 16, &need, &h, &err),
		VP_ERR_INVALID);
	assert_int_equal(vp_proxy_parse((const unsigned char *)"PROXY TCP4 ", 11, &need, &h, &err),
			 VP_ERR_INVALID);
	buf[13] = 0x31;
	assert_int_equal(vp_proxy_parse(buf, len, &need, &h, &err), VP_ERR_INVALID);
	buf[13] = 0x11;
	buf[14] = 0xff;
	assert_int_equal(vp_proxy_parse(buf, 16, &need, &h, &err), VP_ERR_INVALID);
	/* IPv4 family with too few address bytes */
	buf[14] = 0;
	buf[15] = 4;
	assert_int_equal(vp_proxy_parse(buf, 20, &need, &h, &err), VP_ERR_INVALID);
}

static void test_trust_and_forwarded_for(void **state)
{
	struct vp_proxy_trust t;
	struct sockaddr_in in = {.sin_family = AF_INET};
	char out[VP_PROXY_SOURCE_MAX];
	struct vp_error err;
	(void)state;

	assert_int_equal(vp_proxy_trust_parse("10.0.0.0/16, 192.0.2.1,2001:db8::/32", &t, &err),
			 VP_OK);
	assert_int_equal(t.count, 3);
	inet_pton(AF_INET, "10.0.200.3", &in.sin_addr);
	assert_true(vp_proxy_trusted(&t, (struct sockaddr *)&in));
	inet_pton(AF_INET, "10.1.0.3", &in.sin_addr);
	assert_false(vp_proxy_trusted(&t, (struct sockaddr *)&in));
	inet_pton(AF_INET, "192.0.2.1", &in.sin_addr);
	assert_true(vp_proxy_trusted(&t, (struct sockaddr *)&in));
	assert_int_equal(vp_proxy_trust_parse("10.0.0.0/33", &t, &err), VP_ERR_INVALID);
	assert_int_equal(vp_proxy_trust_parse("example.com", &t, &err), VP_ERR_INVALID);
	assert_int_equal(vp_proxy_trust_parse("10.0.0.0/", &t, &err), VP_ERR_INVALID);

	assert_int_equal(vp_proxy_trust_parse("10.0.0.0/16", &t, &err), VP_OK);
	/* the rightmost address not of a trusted proxy; what the client wrote left of it is not */
	assert_true(vp_proxy_forwarded_for(&t, "1.2.3.4, 198.51.100.9, 10.0.0.7", out));
	assert_string_equal(out, "198.51.100.9");
	assert_true(vp_proxy_forwarded_for(&t, "198.51.100.9", out));
	assert_string_equal(out, "198.51.100.9");
	assert_true(vp_proxy_forwarded_for(&t, " 2001:DB8::1 ", out));
	assert_string_equal(out, "2001:db8::1");
	assert_false(vp_proxy_forwarded_for(&t, "1.2.3.4, junk", out));
	assert_false(vp_proxy_forwarded_for(&t, "", out));
	assert_false(vp_proxy_forwarded_for(&t, "1.2.3.4,", out));
}

/* ---- the server -------------------------------------------------------------------------- */

static struct vp_server *server;
static unsigned port;
static FILE *log_file;

static void start(struct vp_server_config *cfg)
{
	struct vp_error err;
	const char *colon;

	log_file = tmpfile();
	assert_non_null(log_file);
	vp_log_setup(VP_LOG_INFO, VP_LOG_JSON, log_file);
	cfg->listen = "127.0.0.1:0";
	cfg->threads = 2;
	cfg->workers = 1;
	if (vp_server_start(cfg, NULL, NULL, NULL, &server, &err) != VP_OK)
		fail_msg("%s", err.message);
	colon = strrchr(vp_server_host_port(server), ':');
	port = (unsigned)atoi(colon + 1);
}

static int stop(void **state)
{
	(void)state;
	vp_server_stop(server);
	server = NULL;
	vp_log_setup(VP_LOG_INFO, VP_LOG_TEXT, NULL);
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	return 0;
}

/* A connection to the server from `from` (a loopback address). */
static int connect_from(const char *from)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, from, &src.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	dst.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

static void send_all(int fd, const void *data, size_t len)
{
	assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * Read an answer: its status, and its X-Request-Id into id (when given).
 * 0 when the server closed the connection without one.
 */
static int read_answer(int fd, char *id, size_t id_size)
{
	char buf[4096];
	size_t len = 0, want = 0;
	int64_t end = vp_clock_monotonic_ms() + BOUND_MS;
	const char *at, *body;

	buf[0] = '\0';
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t got;
		body = strstr(buf, "\r\n\r\n");
		if (body && (at = strstr(buf, "Content-Length: ")))
			want = (size_t)(body + 4 - buf) + (size_t)atoi(at + 16);
		if (body && len >= want)
			break;
		if (poll(&p, 1, (int)(end - vp_clock_monotonic_ms())) <= 0)
			fail_msg("no answer and no close within %d ms", BOUND_MS);
		got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (got <= 0)
			return len ? -1 : 0;
		len += (size_t)got;
		buf[len] = '\0';
	}
	if (id && (at = strstr(buf, "X-Request-Id: ")))
		snprintf(id, id_size, "%.32s", at + strlen("X-Request-Id: "));
	return atoi(buf + strlen("HTTP/1.1 "));
}

static int get_healthz(int fd, const char *extra, char *id, size_t id_size)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nHost: t\r\n%s\r\n",
			 extra ? extra : "");

	/* A server that refuses the connection may close it before the request is sent: that
	 * is the same answer as closing it after (none), not a failed test. */
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		assert_true(errno == EPIPE || errno == ECONNRESET);
		return 0;
	}
	return read_answer(fd, id, id_size);
}

/* Whether fd is closed by the server within the bound; `trickle`: send a header line meanwhile. */
static bool closed_within(int fd, bool trickle)
{
	int64_t end = vp_clock_monotonic_ms() + BOUND_MS;

	while (vp_clock_monotonic_ms() < end) {
		struct pollfd p = {fd, POLLIN, 0};
		char byte;
		if (trickle && send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) < 0)
			return true;
		if (poll(&p, 1, 100) > 0) {
			ssize_t got = recv(fd, &byte, 1, 0);
			if (got < 0 && errno != EAGAIN)
				return true;
			if (got == 0)
				return true;
			fail_msg("the server answered a request it never had whole");
		}
	}
	return false;
}

/* The source the access log gave the request `id`. */
static void logged_source(const char *id, char *out, size_t size)
{
	char line[2048];

	out[0] = '\0';
	fflush(log_file);
	rewind(log_file);
	while (fgets(line, sizeof(line), log_file)) {
		const char *at = strstr(line, "\"source\":\"");
		if (!strstr(line, id) || !at)
			continue;
		at += strlen("\"source\":\"");
		snprintf(out, size, "%.*s", (int)strcspn(at, "\""), at);
		return;
	}
}

/* 1,100 slow connections kept /healthz from everyone (issue 14): one source may hold 4. */
static void test_per_source_cap(void **state)
{
	struct vp_server_config cfg;
	int slow[8], closed = 0, status = 0;
	int64_t end;
	(void)state;

	vp_server_config_init(&cfg);
	cfg.max_connections = 8;
	cfg.per_source = 4;
	cfg.request_deadline = 600; /* the cap alone, not the deadline, must make room */
	start(&cfg);
	for (int i = 0; i < 8; i++) {
		slow[i] = connect_from("127.0.0.2");
		send_all(slow[i], "GET /healthz HTTP/1.1\r\n", 23);
	}
	/* another source is answered; a slot may free only after the refused ones are gone */
	end = vp_clock_monotonic_ms() + BOUND_MS;
	while (status != 200 && vp_clock_monotonic_ms() < end) {
		int fd = connect_from("127.0.0.3");
		status = get_healthz(fd, NULL, NULL, 0);
		close(fd);
	}
	assert_int_equal(status, 200);
	/* 4 of the 8 were closed at once, the other 4 are still open */
	for (int i = 0; i < 8; i++) {
		struct pollfd p = {slow[i], POLLIN, 0};
		char byte;
		if (poll(&p, 1, 0) > 0 && recv(slow[i], &byte, 1, 0) <= 0)
			closed++;
	}
	assert_int_equal(closed, 4);
	for (int i = 0; i < 8; i++)
		close(slow[i]);
}

/* A header line every 100 ms resets an idle timeout, not the request deadline. */
static void test_slow_loris_closed(void **state)
{
	struct vp_server_config cfg;
	int slow, other;
	(void)state;

	vp_server_config_init(&cfg);
	cfg.request_deadline = 1;
	cfg.connection_timeout = 30;
	start(&cfg);
	slow = connect_from("127.0.0.2");
	send_all(slow, "GET /healthz HTTP/1.1\r\nHost: t\r\n", 32);
	other = connect_from("127.0.0.3");
	assert_int_equal(get_healthz(other, NULL, NULL, 0), 200);
	assert_true(closed_within(slow, true));
	/* the other client's keep-alive connection still serves */
	assert_int_equal(get_healthz(other, NULL, NULL, 0), 200);
	close(slow);
	close(other);
}

static int proxy_get(const char *from, const char *client, const char *extra, char *id)
{
	unsigned char hdr[64];
	size_t n = proxy_v4(hdr, client, 5555);
	int fd = connect_from(from), status;

	send_all(fd, hdr, n);
	status = get_healthz(fd, extra, id, 40);
	close(fd);
	return status;
}

/* PROXY v2 (AWS NLB): honoured from a trusted peer, refused from anyone else. */
static void test_proxy_protocol(void **state)
{
	struct vp_server_config cfg;
	unsigned char hdr[64];
	char id[40] = "", source[64];
	int keep, fd;
	(void)state;

	vp_server_config_init(&cfg);
	cfg.proxy_protocol = true;
	cfg.trusted_proxies = "127.0.0.1/32";
	cfg.per_source = 1;
	start(&cfg);
	/* the client behind the balancer is the source: the log says so, its cap applies */
	keep = connect_from("127.0.0.1");
	send_all(keep, hdr, proxy_v4(hdr, "203.0.113.7", 4000));
	assert_int_equal(get_healthz(keep, NULL, id, sizeof(id)), 200);
	logged_source(id, source, sizeof(source));
	assert_string_equal(source, "203.0.113.7");
	assert_int_equal(proxy_get("127.0.0.1", "203.0.113.7", NULL, id), 0); /* over its cap */
	assert_int_equal(proxy_get("127.0.0.1", "203.0.113.8", NULL, id), 200);
	logged_source(id, source, sizeof(source));
	assert_string_equal(source, "203.0.113.8");
	/* an untrusted peer's header is refused: the connection closes unanswered */
	assert_int_equal(proxy_get("127.0.0.2", "203.0.113.9", NULL, NULL), 0);
	/* a trusted peer without a header too */
	fd = connect_from("127.0.0.1");
	assert_int_equal(get_healthz(fd, NULL, NULL, 0), 0);
	close(fd);
	close(keep);
}

/* X-Forwarded-For: believed from a trusted proxy, ignored from anyone else. */
static void test_forwarded_for(void **state)
{
	struct vp_server_config cfg;
	char id[40] = "", source[64];
	int fd;
	(void)state;

	vp_server_config_init(&cfg);
	cfg.trusted_proxies = "127.0.0.1/32";
	start(&cfg);
	fd = connect_from("127.0.0.1");
	assert_int_equal(
		get_healthz(fd, "X-Forwarded-For: 1.2.3.4, 198.51.100.9\r\n", id, sizeof(id)), 200);
	logged_source(id, source, sizeof(source));
	assert_string_equal(source, "198.51.100.9");
	/* the next request on the balancer's connection is its own until it says otherwise */
	assert_int_equal(get_healthz(fd, NULL, id, sizeof(id)), 200);
	logged_source(id, source, sizeof(source));
	assert_string_equal(source, "127.0.0.1");
	close(fd);
	fd = connect_from("127.0.0.2");
	assert_int_equal(get_healthz(fd, "X-Forwarded-For: 198.51.100.9\r\n", id, sizeof(id)), 200);
	logged_source(id, source, sizeof(source));
	assert_string_equal(source, "127.0.0.2");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_parse),
		cmocka_unit_test(test_trust_and_forwarded_for),
		cmocka_unit_test_teardown(test_per_source_cap, stop),
		cmocka_unit_test_teardown(test_slow_loris_closed, stop),
		cmocka_unit_test_teardown(test_proxy_protocol, stop),
		cmocka_unit_test_teardown(test_forwarded_for, stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
