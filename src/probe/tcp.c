/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TCP connect, by hand: a non-blocking connect() and poll(). Not libcurl's
 * CONNECT_ONLY, because the outcome's words come from the connect's own
 * errno for each address (ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, a
 * timeout) and from this host's source address (getsockname), and a plain
 * socket gives both directly, the same in every libcurl version, with no
 * happy-eyeballs racing that would hide which address failed how.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <unistd.h>

#include "core/clock.h"
#include "probe/internal.h"

static socklen_t addr_len(const struct sockaddr_storage *addr)
{
	return addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in);
}

/* One address, at most limit_ms. */
static void connect_one(const struct sockaddr_storage *addr, int64_t limit_ms,
			struct probe_attempt *a)
{
	int64_t start = vp_clock_monotonic_ms(), left;
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	int fd, e = 0;
	socklen_t e_len = sizeof(e);

	probe_format_address(addr, a->address, sizeof(a->address));
	a->local_address[0] = '\0';
	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		a->outcome = VP_PROBE_ERROR;
		a->sys_errno = errno;
		snprintf(a->detail, sizeof(a->detail), "socket: %s", probe_errno_text(errno));
		return;
	}
	if (connect(fd, (const struct sockaddr *)addr, addr_len(addr)) != 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int n = 0;
			e = 0;
			/* poll() again after a signal, with what is left of the limit. */
			while ((left = start + limit_ms - vp_clock_monotonic_ms()) > 0 &&
			       (n = poll(&p, 1, (int)left)) < 0 && errno == EINTR)
				;
			if (n < 0)
				e = errno;
			else if (n == 0)
				e = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &e_len) != 0)
				e = errno;
		}
	}
	a->time_ms = vp_clock_monotonic_ms() - start;
	/* The source address the kernel chose: the one the hub must route back to. */
	if (getsockname(fd, (struct sockaddr *)&local, &local_len) == 0 &&
	    local.ss_family == addr->ss_family)
		probe_format_address(&local, a->local_address, sizeof(a->local_address));
	close(fd);
	a->sys_errno = e;
	a->outcome = e == 0 ? VP_PROBE_CONNECTED : probe_outcome_of_errno(e);
	if (a->outcome == VP_PROBE_ERROR)
		snprintf(a->detail, sizeof(a->detail), "connect: %s", probe_errno_text(e));
}

void probe_tcp_attempt(const struct vp_probe_target *target, const struct vp_probe_options *o,
		       int64_t limit_ms, struct probe_attempt *a)
{
	struct sockaddr_storage addrs[VP_PROBE_MAX_ADDRESSES];
	int64_t end = vp_clock_monotonic_ms() + limit_ms;
	int count = probe_addresses(target, o, addrs, a);

	/* Each address in turn until one connects, within the attempt's limit. */
	for (int i = 0; i < count; i++) {
		int64_t left = end - vp_clock_monotonic_ms();
		if (left <= 0 && i > 0)
			break;
		connect_one(&addrs[i], left > 0 ? left : 1, a);
		if (a->outcome == VP_PROBE_CONNECTED)
			return;
	}
}
