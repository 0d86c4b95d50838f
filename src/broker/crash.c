/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only crash points (crash.h). */
#include "broker/crash.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char armed[64];

static void read_env(void)
{
	const char *v = getenv("VPCPEER_CRASH_AT");
	size_t len = v ? strlen(v) : 0;

	if (len > 0 && len < sizeof(armed))
		memcpy(armed, v, len + 1);
}

void vp_crash_point(const char *point)
{
	pthread_once(&once, read_env);
	if (armed[0] && strcmp(armed, point) == 0) {
		static const char msg[] = "vpcpeer: VPCPEER_CRASH_AT: crashing at ";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)!write(STDERR_FILENO, point, strlen(point));
		(void)!write(STDERR_FILENO, "\n", 1);
		kill(getpid(), SIGKILL);
		_exit(137);
	}
}
