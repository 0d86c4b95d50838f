/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One thread, poll(2) over a wake-up pipe, the listening socket (while fewer
 * than PENDING_MAX headers are being read) and the connections whose header
 * is not complete yet. A header is read with exact lengths (16 bytes, then
 * the rest its length names) so the first byte of HTTP stays in the socket.
 */
#include "api/proxy_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

#define PENDING_MAX       64
#define DEFAULT_HEADER_MS 10000
#define M_PROXY_REFUSED   "vpcpeer_http_proxy_refused_total"

struct pending {
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	unsigned char buf[VP_PROXY_HEADER_MAX];
	size_t len, need;
	int64_t deadline;
};

struct vp_proxy_listen {
	int listen_fd;
	int wake[2];
	struct vp_proxy_trust trust;
	int64_t header_ms;
	struct MHD_Daemon *daemon;
	struct vp_metrics *metrics;
	struct pending pending[PENDING_MAX];
	size_t count;
	bool started;
	pthread_t thread;
};

static void refuse(struct vp_proxy_listen *pl, int fd, const struct sockaddr *peer, const char *why)
{
	char addr[VP_PROXY_SOURCE_MAX];

	vp_proxy_addr_string(peer, addr);
	vp_log(VP_LOG_DEBUG, "closing a connection from %s: %s", addr, why);
	close(fd);
	if (pl->metrics)
		vp_metrics_add(pl->metrics, M_PROXY_REFUSED, NULL, 1);
}

static void accept_some(struct vp_proxy_listen *pl)
{
	while (pl->count < PENDING_MAX) {
		struct pending *p = &pl->pending[pl->count];
		int fd;

		p->peer_len = sizeof(p->peer);
		fd = accept4(pl->listen_fd, (struct sockaddr *)&p->peer, &p->peer_len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or an error of one connection: poll again */
		if (!vp_proxy_trusted(&pl->trust, (const struct sockaddr *)&p->peer)) {
			refuse(pl, fd, (const struct sockaddr *)&p->peer,
			       "not a trusted proxy (--trusted-proxies)");
			continue;
		}
		p->fd = fd;
		p->len = 0;
		p->need = VP_PROXY_PREFIX_LEN;
		p->deadline = vp_clock_monotonic_ms() + pl->header_ms;
		pl->count++;
	}
}

static void drop(struct vp_proxy_listen *pl, size_t i)
{
	pl->pending[i] = pl->pending[--pl->count];
}

/* Read what the header still needs; true when i is done with (handed over or closed). */
static bool read_header(struct vp_proxy_listen *pl, struct pending *p)
{
	struct vp_proxy_header h;
	struct vp_error err;
	ssize_t got = recv(p->fd, p->buf + p->len, p->need - p->len, 0);

	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return false;
	if (got <= 0) {
		close(p->fd);
		return true;
	}
	p->len += (size_t)got;
	if (p->len < p->need)
		return false;
	if (vp_proxy_parse(p->buf, p->len, &p->need, &h, &err) != VP_OK) {
		refuse(pl, p->fd, (const struct sockaddr *)&p->peer, err.message);
		return true;
	}
	if (p->need)
		return false;
	/* MHD_add_connection closes the socket itself when it cannot take it. */
	if (h.local)
		MHD_add_connection(pl->daemon, p->fd, (const struct sockaddr *)&p->peer,
				   p->peer_len);
	else
		MHD_add_connection(pl->daemon, p->fd, (const struct sockaddr *)&h.source,
				   h.source_len);
	return true;
}

static void *listen_main(void *arg)
{
	struct vp_proxy_listen *pl = arg;
	struct pollfd fds[PENDING_MAX + 2];

	for (;;) {
		size_t n = 0, first;
		int64_t now = vp_clock_monotonic_ms(), wait = -1;
		bool listening = pl->count < PENDING_MAX;

		fds[n++] = (struct pollfd){pl->wake[0], POLLIN, 0};
		if (listening)
			fds[n++] = (struct pollfd){pl->listen_fd, POLLIN, 0};
		first = n;
		for (size_t i = 0; i < pl->count; i++) {
			int64_t left = pl->pending[i].deadline - now;
			fds[n++] = (struct pollfd){pl->pending[i].fd, POLLIN, 0};
			if (wait < 0 || left < wait)
				wait = left < 0 ? 0 : left;
		}
		if (poll(fds, n, (int)wait) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break; /* stop */
		now = vp_clock_monotonic_ms();
		/* Back to front: drop() moves the last pending into the freed slot. */
		for (size_t i = pl->count; i-- > 0;) {
			struct pending *p = &pl->pending[i];
			bool done;
			if (fds[first + i].revents)
				done = read_header(pl, p);
			else if (now >= p->deadline) {
				refuse(pl, p->fd, (const struct sockaddr *)&p->peer,
				       "no PROXY header in time");
				done = true;
			} else
				done = false;
			if (done)
				drop(pl, i);
		}
		if (listening && fds[1].revents)
			accept_some(pl);
	}
	return NULL;
}

vp_code vp_proxy_listen_start(int listen_fd, const struct vp_proxy_trust *trust, unsigned header_ms,
			      struct MHD_Daemon *daemon, struct vp_metrics *metrics,
			      struct vp_proxy_listen **out, struct vp_error *err)
{
	struct vp_proxy_listen *pl = calloc(1, sizeof(*pl));
	int e;

	if (!pl) {
		close(listen_fd);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for the PROXY listener");
	}
	pl->listen_fd = listen_fd;
	pl->trust = *trust;
	pl->header_ms = header_ms ? header_ms : DEFAULT_HEADER_MS;
	pl->daemon = daemon;
	pl->metrics = metrics;
	pl->wake[0] = pl->wake[1] = -1;
	if (metrics) {
		struct vp_error ignored;
		vp_ignore(vp_metrics_declare(metrics, M_PROXY_REFUSED, VP_METRIC_COUNTER,
					     "Connections closed before HTTP: an untrusted peer, "
					     "or no valid PROXY v2 header in time.",
					     &ignored));
	}
	if (pipe2(pl->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		vp_proxy_listen_stop(pl);
		return vp_fail(err, VP_ERR_IO, "cannot create a pipe: %s", strerror(errno));
	}
	e = pthread_create(&pl->thread, NULL, listen_main, pl);
	if (e != 0) {
		vp_proxy_listen_stop(pl);
		return vp_fail(err, VP_ERR_INTERNAL, "cannot start the PROXY listener: %s",
			       strerror(e));
	}
	pl->started = true;
	*out = pl;
	return VP_OK;
}

void vp_proxy_listen_stop(struct vp_proxy_listen *pl)
{
	if (!pl)
		return;
	if (pl->started) {
		char byte = 1;
		while (write(pl->wake[1], &byte, 1) < 0 && errno == EINTR)
			;
		pthread_join(pl->thread, NULL);
	}
	for (size_t i = 0; i < pl->count; i++)
		close(pl->pending[i].fd);
	for (int i = 0; i < 2; i++)
		if (pl->wake[i] >= 0)
			close(pl->wake[i]);
	close(pl->listen_fd);
	free(pl);
}
