/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-only crash points (docs/reconciler.md): when the environment variable
 * VPCPEER_CRASH_AT names a point (e.g. "confirm.after_route"), the process
 * kills itself with SIGKILL when it reaches it, as a broker killed at that
 * moment would die: nothing is flushed, no handler runs. Compiled in always
 * (a getenv, read once, and a string compare at each point); unset in
 * production. The points are listed in VP_CRASH_POINTS.
 */
#ifndef VP_BROKER_CRASH_H
#define VP_BROKER_CRASH_H

/* Every point, for the tests and the docs (space-separated). */
#define VP_CRASH_POINTS                                                                            \
	"register.after_allocate register.before_grant register.after_grant "                      \
	"grants.before_update grants.after_update "                                                \
	"confirm.after_intent confirm.after_route confirm.after_active "                           \
	"release.after_releasing release.after_routes release.after_revoke "                       \
	"release.after_released"

/* Die here if VPCPEER_CRASH_AT names `point`. */
void vp_crash_point(const char *point);

#endif
