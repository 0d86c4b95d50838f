/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS test environment (tests/awsenv/awsenv.py: moto behind a strict
 * proxy) as a child process of a C test program.
 *
 * vp_test_awsenv_start() runs `python3` from PATH (the image's, with moto)
 * on the script with --port 0 --exit-on-stdin-eof, keeps the write end of
 * its stdin open and blocks until the one ready line "awsenv listening on
 * URL" arrives (no sleeps; a timeout only if it never comes). If the test
 * program dies, the pipe closes and awsenv exits by itself.
 * vp_test_awsenv_stop() closes stdin, waits for the exit (SIGKILL after
 * 10 s). Point clients at env->url (AWS_ENDPOINT_URL or the client config's
 * endpoint_url); vp_test_awsenv_control() drives the control API
 * (/_awsenv/reset, /faults, /calls, /config). Not thread-safe: one test
 * thread owns one environment. libcurl must be initialised (curl_global_init
 * or vp_aws_global_init).
 */
#ifndef VP_TEST_AWSENV_H
#define VP_TEST_AWSENV_H

#include <stddef.h>
#include <sys/types.h>

struct vp_test_awsenv {
	pid_t pid;
	int stdin_fd; /* closing it stops awsenv */
	int stdout_fd;
	char url[64]; /* "http://127.0.0.1:PORT" */
};

/*
 * Start awsenv. `accounts` is an accounts file (NULL: tests/awsenv/accounts.json);
 * `extra_args` more flags (NULL-terminated list, or NULL), e.g.
 * {"--trust-policy-quota", "1024", NULL}. Returns 0, or -1 with a message in err.
 */
int vp_test_awsenv_start(struct vp_test_awsenv *env, const char *accounts,
			 const char *const *extra_args, char *err, size_t err_len);

/* Stop it and wait. Returns its exit status (0 when it stopped cleanly), -1 if it had to be killed.
 */
int vp_test_awsenv_stop(struct vp_test_awsenv *env);

/*
 * One control request ("POST", "/_awsenv/faults", "{...}" or NULL). Returns
 * the HTTP status (0 when the request failed); the answer goes to out (NUL-
 * terminated, truncated to out_len) when out is not NULL.
 */
long vp_test_awsenv_control(struct vp_test_awsenv *env, const char *method, const char *path,
			    const char *json, char *out, size_t out_len);

/* POST /_awsenv/reset: moto, faults, counters and config back to the start. 0 on success. */
int vp_test_awsenv_reset(struct vp_test_awsenv *env);

#endif
