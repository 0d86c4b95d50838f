/* SPDX-License-Identifier: Apache-2.0 */
/* Strict number parsing: the whole string, decimal digits only, a range check. */
#ifndef VP_CORE_NUM_H
#define VP_CORE_NUM_H

#include <stdint.h>

#include "core/error.h"

/*
 * Parse `str` as a decimal integer in [min, max]. Accepts an optional leading
 * '-' and digits, nothing else (no spaces, no '+', no hex, no trailing junk).
 * `what` names the value in the error message ("namespace", "--subnets").
 * *out is written only on success.
 */
VP_NODISCARD vp_code vp_parse_int64(const char *str, int64_t min, int64_t max, const char *what,
				    int64_t *out, struct vp_error *err);

#endif
