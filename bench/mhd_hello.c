/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A libmicrohttpd hello world with the broker's threading (an internal
 * polling thread pool on epoll, 2 x cores threads): the ceiling a route of
 * the broker is compared with (bench/broker.py --http). Answers every request
 * with a fixed JSON body, on the request's last call, keeping the connection.
 *
 *   mhd_hello PORT_FILE
 * listens on 127.0.0.1:0, writes the port to PORT_FILE, serves until SIGTERM.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static char hello[] = "{\"status\": \"ok\"}";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	static int first;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (!*con_cls) {
		*con_cls = &first; /* the headers: answer on the next call */
		return MHD_YES;
	}
	*upload_size = 0;
	resp = MHD_create_response_from_buffer(sizeof(hello) - 1, hello, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

int main(int argc, char **argv)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = (unsigned)(cores > 0 ? 2 * cores : 2);
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
	sigset_t set;
	int sig;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: mhd_hello PORT_FILE\n");
		return 2;
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
			     on_request, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mhd_hello: libmicrohttpd did not start\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	f = fopen(argv[1], "w");
	if (!info || !f) {
		fprintf(stderr, "mhd_hello: cannot report the port\n");
		MHD_stop_daemon(d);
		return 1;
	}
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
