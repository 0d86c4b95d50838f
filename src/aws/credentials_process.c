/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/credentials_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/clock.h"

extern char **environ;

struct process {
	char **argv;
	char *profile;
};

void vp_aws_process_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

vp_code vp_aws_process_split(const char *command, char ***argv_out, struct vp_error *err)
{
	char **argv = calloc(VP_AWS_PROCESS_MAX_ARGS + 1, sizeof(*argv));
	size_t argc = 0, len = command ? strlen(command) : 0;
	const char *p = command, *end = command + len;
	vp_code rc = VP_OK;

	if (!argv)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	while (rc == VP_OK && p < end) {
		char *word, *w;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		if (argc == VP_AWS_PROCESS_MAX_ARGS) {
			rc = vp_fail(err, VP_ERR_INVALID,
				     "credential_process has more than %d elements",
				     VP_AWS_PROCESS_MAX_ARGS);
			break;
		}
		/* A word is never longer than what is left of the command. */
		w = word = malloc((size_t)(end - p) + 1);
		if (!word) {
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
			break;
		}
		argv[argc++] = word;
		while (p < end && *p != ' ' && *p != '\t') {
			if (*p == '"') {
				const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
				if (!close) {
					rc = vp_fail(
						err, VP_ERR_INVALID,
						"credential_process has a '\"' without its closing "
						"'\"'");
					break;
				}
				memcpy(w, p + 1, (size_t)(close - p - 1));
				w += close - p - 1;
				p = close + 1;
			} else {
				*w++ = *p++;
			}
		}
		*w = '\0';
	}
	if (rc == VP_OK && argc == 0)
		rc = vp_fail(err, VP_ERR_INVALID, "credential_process is empty");
	if (rc == VP_OK && argv[0][0] == '\0')
		rc = vp_fail(err, VP_ERR_INVALID, "credential_process names no program");
	if (rc != VP_OK) {
		vp_aws_process_argv_free(argv);
		return rc;
	}
	*argv_out = argv;
	return VP_OK;
}

/* Wipe a parsed document's strings before jansson frees them (they hold the secret). */
static void wipe_strings(json_t *doc)
{
	const char *key;
	json_t *v;

	json_object_foreach(doc, key, v)
	{
		if (json_is_string(v))
			OPENSSL_cleanse((void *)(uintptr_t)json_string_value(v),
					json_string_length(v));
	}
}

static const char *string_field(json_t *doc, const char *name, bool *bad)
{
	json_t *v = json_object_get(doc, name);

	if (!v)
		return NULL;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

vp_code vp_aws_process_parse(const char *text, size_t len, struct vp_aws_credentials *out,
			     struct vp_error *err)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *version = json_object_get(doc, "Version");
	const char *akid, *secret, *token, *expiration;
	int64_t exp = 0;
	bool bad = false;
	vp_code rc = VP_OK;

	if (!json_is_object(doc)) {
		rc = vp_fail(err, VP_ERR_AUTH, "credential_process printed no JSON object");
		goto done;
	}
	if (!json_is_integer(version) || json_integer_value(version) != 1) {
		rc = vp_fail(err, VP_ERR_AUTH,
			     "credential_process output must have \"Version\": 1 (the only version "
			     "AWS defines)");
		goto done;
	}
	akid = string_field(doc, "AccessKeyId", &bad);
	secret = string_field(doc, "SecretAccessKey", &bad);
	token = string_field(doc, "SessionToken", &bad);
	expiration = string_field(doc, "Expiration", &bad);
	if (bad || !akid || !secret) {
		rc = vp_fail(err, VP_ERR_AUTH,
			     "credential_process output needs AccessKeyId and SecretAccessKey, and "
			     "SessionToken and Expiration, when given, as non-empty strings");
		goto done;
	}
	if (expiration && vp_clock_parse_iso8601(expiration, &exp, err) != VP_OK) {
		vp_error_prefix(err, "credential_process Expiration");
		rc = VP_ERR_AUTH;
		if (err)
			err->code = rc;
		goto done;
	}
	rc = vp_aws_credentials_set(out, akid, secret, token, (time_t)exp, "process", err);
done:
	if (json_is_object(doc))
		wipe_strings(doc);
	json_decref(doc);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read fd to EOF into buf (at most cap bytes) before the deadline. */
static vp_code read_all(int fd, char *buf, size_t cap, size_t *len, int64_t deadline,
			struct vp_error *err)
{
	*len = 0;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t n;
		int ready;

		if (left <= 0)
			return vp_fail(err, VP_ERR_AUTH,
				       "credential_process did not finish within %d s",
				       VP_AWS_PROCESS_TIMEOUT_MS / 1000);
		ready = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return vp_fail(err, VP_ERR_IO, "credential_process: poll: %s",
				       strerror(errno));
		if (ready == 0)
			continue;
		if (*len == cap)
			return vp_fail(err, VP_ERR_AUTH,
				       "credential_process printed more than %zu bytes", cap);
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vp_fail(err, VP_ERR_IO, "credential_process: read: %s",
				       strerror(errno));
		if (n == 0)
			return VP_OK;
		*len += (size_t)n;
	}
}

static vp_code fetch_process(void *state, time_t now, struct vp_aws_credentials *out,
			     struct vp_error *err)
{
	struct process *p = state;
	posix_spawn_file_actions_t fa;
	char *buf = malloc(VP_AWS_PROCESS_OUTPUT_MAX);
	int fds[2] = {-1, -1}, status = 0, e;
	size_t len = 0;
	pid_t pid = -1;
	vp_code rc;

	(void)now;
	if (!buf)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (pipe2(fds, O_CLOEXEC) != 0) {
		free(buf);
		return vp_fail(err, VP_ERR_IO, "credential_process: pipe: %s", strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	e = posix_spawnp(&pid, p->argv[0], &fa, NULL, p->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e != 0) {
		rc = vp_fail(err, VP_ERR_AUTH,
			     "profile '%s': credential_process cannot run '%.200s': %s", p->profile,
			     p->argv[0], strerror(e));
		goto done;
	}
	rc = read_all(fds[0], buf, VP_AWS_PROCESS_OUTPUT_MAX, &len,
		      now_ms() + VP_AWS_PROCESS_TIMEOUT_MS, err);
	if (rc != VP_OK)
		kill(pid, SIGKILL); /* it hangs or floods: it is not waited for again */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == VP_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = WIFEXITED(status)
			     ? vp_fail(err, VP_ERR_AUTH, "credential_process exited with status %d",
				       WEXITSTATUS(status))
			     : vp_fail(err, VP_ERR_AUTH,
				       "credential_process was killed by signal %d",
				       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (rc == VP_OK)
		rc = vp_aws_process_parse(buf, len, out, err);
	if (rc != VP_OK && err && !strstr(err->message, "profile '")) {
		vp_error_prefix(err, "profile '%s'", p->profile);
		if (rc != VP_ERR_NOMEM)
			err->code = rc = VP_ERR_AUTH;
	}
done:
	close(fds[0]);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

static void process_free(void *state)
{
	struct process *p = state;

	if (!p)
		return;
	vp_aws_process_argv_free(p->argv);
	free(p->profile);
	free(p);
}

static const struct vp_aws_credentials_source process_source = {fetch_process, process_free};

vp_code vp_aws_process_provider_new(const char *profile, const char *command,
				    const struct vp_aws_chain_options *o,
				    struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	struct process *p = calloc(1, sizeof(*p));
	vp_code rc;

	if (!p)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	p->profile = strdup(profile ? profile : "default");
	rc = p->profile ? vp_aws_process_split(command, &p->argv, err)
			: vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		if (rc == VP_ERR_INVALID)
			vp_error_prefix(err, "profile '%s'", profile);
		process_free(p);
		return rc;
	}
	return vp_aws_credentials_provider_new(&process_source, p, "process", o, out, err);
}
