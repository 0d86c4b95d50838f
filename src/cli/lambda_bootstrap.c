/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootstrap: the Lambda zip's entry point (scripts/package-lambda,
 * docs/lambda.md). A static program that does one thing: exec the bundled
 * dynamic loader on the bundled handler with only the bundled libraries,
 *
 *   ROOT/lib/<loader> --library-path ROOT/lib ROOT/bin/vpcpeer-lambda ARGS...
 *
 * ROOT being LAMBDA_TASK_ROOT ("the directory that contains the function
 * code", https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html;
 * /var/task), else this program's own directory. Lambda runs the zip's
 * executable named bootstrap (docs/aws-wire.md, RT-CUSTOM).
 *
 * Built twice: for the custom-resource handler as above, and for the
 * broker's function (issue 18, scripts/package-lambda --serve) with
 * VP_BOOTSTRAP_PROGRAM "bin/vpcpeer" and VP_BOOTSTRAP_COMMAND
 * "serve-lambda", which goes before ARGS.
 *
 * It replaces a /bin/sh script that did the same: the shell's own dynamic
 * load and start-up came before the exec, about 1.7 ms of CPU time of the
 * handler's cold start (docs/lambda.md). Linked statically so that it needs
 * nothing from the image, not even its /lib64.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#define LOADER "ld-linux-x86-64.so.2"
#elif defined(__aarch64__)
#define LOADER "ld-linux-aarch64.so.1"
#else
#error "Lambda runs x86_64 and arm64 only"
#endif

#ifndef VP_BOOTSTRAP_PROGRAM
#define VP_BOOTSTRAP_PROGRAM "bin/vpcpeer-lambda"
#endif

#define ARGS_MAX 64

static int fail(const char *what, const char *value, const char *why)
{
	fprintf(stderr, "bootstrap: %s %s: %s\n", what, value, why);
	return 127;
}

/* Writes ROOT/rel into out; false when it does not fit. */
static int join(char *out, size_t cap, const char *root, const char *rel)
{
	int n = snprintf(out, cap, "%s/%s", root, rel);
	return n > 0 && (size_t)n < cap;
}

int main(int argc, char **argv)
{
	char root[PATH_MAX], loader[PATH_MAX], libdir[PATH_MAX], program[PATH_MAX];
	static char library_path[] = "--library-path";
	char *args[ARGS_MAX + 6];
#ifdef VP_BOOTSTRAP_COMMAND
	static char command[] = VP_BOOTSTRAP_COMMAND;
#endif
	const char *env = getenv("LAMBDA_TASK_ROOT");
	int n = 0;

	if (env && env[0]) {
		if (strlen(env) >= sizeof(root))
			return fail("LAMBDA_TASK_ROOT", "", "too long");
		memcpy(root, env, strlen(env) + 1);
	} else {
		ssize_t len = readlink("/proc/self/exe", root, sizeof(root) - 1);
		char *slash;
		if (len <= 0)
			return fail("cannot find", "/proc/self/exe", strerror(errno));
		root[len] = '\0';
		slash = strrchr(root, '/');
		if (!slash)
			return fail("cannot find the directory of", root, "no '/'");
		*slash = '\0';
	}
	if (!join(loader, sizeof(loader), root, "lib/" LOADER) ||
	    !join(libdir, sizeof(libdir), root, "lib") ||
	    !join(program, sizeof(program), root, VP_BOOTSTRAP_PROGRAM))
		return fail("LAMBDA_TASK_ROOT", root, "too long");
	if (argc - 1 > ARGS_MAX)
		return fail("too many arguments", "for the handler", "at most 64");
	args[n++] = loader;
	args[n++] = library_path;
	args[n++] = libdir;
	args[n++] = program;
#ifdef VP_BOOTSTRAP_COMMAND
	args[n++] = command;
#endif
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execv(loader, args);
	return fail("cannot run", loader, strerror(errno));
}
