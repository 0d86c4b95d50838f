/* SPDX-License-Identifier: Apache-2.0 */
#include "awsenv.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#ifndef VPCPEER_SOURCE_DIR
#error "build with -DVPCPEER_SOURCE_DIR=\"...\" (tests/CMakeLists.txt does)"
#endif

extern char **environ;

#define READY_PREFIX     "awsenv listening on "
#define READY_TIMEOUT_MS 120000
#define MAX_ARGS         32

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read the ready line; 0 when found. */
static int read_ready_line(struct vp_test_awsenv *env, char *err, size_t err_len)
{
	char line[512];
	size_t len = 0;
	long deadline = now_ms() + READY_TIMEOUT_MS;

	for (;;) {
		struct pollfd p = {.fd = env->stdout_fd, .events = POLLIN};
		long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			snprintf(err, err_len, "awsenv printed no ready line within %d s",
				 READY_TIMEOUT_MS / 1000);
			return -1;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(env->stdout_fd, line + len,
			 1); /* byte by byte: nothing past the line is consumed */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, err_len,
				 "awsenv exited before it was ready (see its stderr above)");
			return -1;
		}
		if (line[len] == '\n') {
			line[len] = '\0';
			break;
		}
		if (++len >= sizeof(line) - 1) {
			snprintf(err, err_len, "awsenv printed an overlong line");
			return -1;
		}
	}
	if (strncmp(line, READY_PREFIX, strlen(READY_PREFIX)) != 0 ||
	    strncmp(line + strlen(READY_PREFIX), "http://127.0.0.1:", 17) != 0 ||
	    strlen(line + strlen(READY_PREFIX)) >= sizeof(env->url)) {
		snprintf(err, err_len, "unexpected first line from awsenv: %.200s", line);
		return -1;
	}
	snprintf(env->url, sizeof(env->url), "%s", line + strlen(READY_PREFIX));
	return 0;
}

int vp_test_awsenv_start(struct vp_test_awsenv *env, const char *accounts,
			 const char *const *extra_args, char *err, size_t err_len)
{
	const char *script = VPCPEER_SOURCE_DIR "/tests/awsenv/awsenv.py";
	const char *dflt_accounts = VPCPEER_SOURCE_DIR "/tests/awsenv/accounts.json";
	const char *argv[MAX_ARGS];
	posix_spawn_file_actions_t fa;
	int in[2], out[2], rc;
	size_t n = 0;

	memset(env, 0, sizeof(*env));
	env->pid = -1;
	env->stdin_fd = env->stdout_fd = -1;
	argv[n++] = "python3";
	argv[n++] = "-B";
	argv[n++] = script;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--accounts";
	argv[n++] = accounts ? accounts : dflt_accounts;
	argv[n++] = "--exit-on-stdin-eof";
	for (size_t i = 0; extra_args && extra_args[i]; i++) {
		if (n >= MAX_ARGS - 1) {
			snprintf(err, err_len, "too many awsenv arguments");
			return -1;
		}
		argv[n++] = extra_args[i];
	}
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	rc = posix_spawnp(&env->pid, "python3", &fa, NULL, (char *const *)(uintptr_t)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		env->pid = -1;
		snprintf(err, err_len, "cannot run python3 from PATH: %s", strerror(rc));
		return -1;
	}
	env->stdin_fd = in[1];
	env->stdout_fd = out[0];
	if (read_ready_line(env, err, err_len) != 0) {
		vp_test_awsenv_stop(env);
		return -1;
	}
	return 0;
}

int vp_test_awsenv_stop(struct vp_test_awsenv *env)
{
	long deadline = now_ms() + 10000;
	int status = 0;

	if (env->stdin_fd >= 0)
		close(env->stdin_fd); /* --exit-on-stdin-eof */
	env->stdin_fd = -1;
	if (env->pid > 0) {
		for (;;) {
			pid_t r = waitpid(env->pid, &status, WNOHANG);
			if (r == env->pid || (r < 0 && errno != EINTR))
				break;
			if (now_ms() > deadline) {
				kill(env->pid, SIGKILL);
				waitpid(env->pid, &status, 0);
				status = -1;
				break;
			}
			/* waiting for a child to exit; a short poll, not a synchronisation sleep */
			poll(NULL, 0, 10);
		}
	}
	if (env->stdout_fd >= 0)
		close(env->stdout_fd);
	env->stdout_fd = -1;
	env->pid = -1;
	if (status == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct sink {
	char *out;
	size_t len, cap;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;
	if (s->out && s->cap > 0) {
		size_t room = s->cap - 1 - s->len;
		size_t k = n < room ? n : room;
		memcpy(s->out + s->len, data, k);
		s->len += k;
		s->out[s->len] = '\0';
	}
	return n;
}

long vp_test_awsenv_control(struct vp_test_awsenv *env, const char *method, const char *path,
			    const char *json, char *out, size_t out_len)
{
	struct sink s = {out, 0, out_len};
	struct curl_slist *h = NULL;
	char url[256];
	long status = 0;
	CURL *c = curl_easy_init();

	if (!c)
		return 0;
	if (out && out_len)
		out[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", env->url, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if (json)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

int vp_test_awsenv_reset(struct vp_test_awsenv *env)
{
	return vp_test_awsenv_control(env, "POST", "/_awsenv/reset", "{}", NULL, 0) == 200 ? 0 : -1;
}
