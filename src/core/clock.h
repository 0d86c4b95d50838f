/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time: the monotonic clock for intervals and deadlines, sleeping, and the
 * two time formats AWS uses (ISO 8601 in credential documents, the basic
 * "20150830T123600Z" form in X-Amz-Date). Every module uses these instead of
 * its own clock_gettime/nanosleep/strptime, so there is one clock style.
 */
#ifndef VP_CORE_CLOCK_H
#define VP_CORE_CLOCK_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "core/error.h"

/* Milliseconds of CLOCK_MONOTONIC: for intervals and timeouts, never for dates. */
int64_t vp_clock_monotonic_ms(void);

/* Sleep ms milliseconds (nothing for ms <= 0), resuming after a signal. */
void vp_clock_sleep_ms(int64_t ms);

/*
 * The absolute time ms milliseconds from now on `clock`, as
 * pthread_cond_timedwait() wants it (CLOCK_REALTIME unless the condition
 * variable was set up with pthread_condattr_setclock).
 */
struct timespec vp_clock_deadline(clockid_t clock, int64_t ms);

/*
 * An ISO 8601 UTC time, "2026-01-02T03:04:05" with optional fractional
 * seconds and an optional "Z", "+00:00" or "+0000", into unix seconds.
 * VP_ERR_INVALID names the text for anything else.
 */
VP_NODISCARD vp_code vp_clock_parse_iso8601(const char *s, int64_t *out, struct vp_error *err);

/*
 * The basic form "YYYYMMDDTHHMMSSZ" (X-Amz-Date), every field range-checked,
 * into unix seconds. false for anything else; *out untouched then.
 */
bool vp_clock_parse_amz_date(const char *s, int64_t *out);

#endif
