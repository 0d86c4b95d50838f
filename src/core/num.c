/* SPDX-License-Identifier: Apache-2.0 */
#include "core/num.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

vp_code vp_parse_int64(const char *str, int64_t min, int64_t max, const char *what, int64_t *out,
		       struct vp_error *err)
{
	const char *digits = str;
	char *end = NULL;
	long long value;

	if (*digits == '-')
		digits++;
	if (*digits < '0' || *digits > '9')
		return vp_fail(err, VP_ERR_INVALID, "%s '%s' is not a number", what, str);
	errno = 0;
	value = strtoll(str, &end, 10);
	if (*end != '\0')
		return vp_fail(err, VP_ERR_INVALID,
			       "%s '%s' is not a number (junk after the digits)", what, str);
	if (errno == ERANGE || value < min || value > max)
		return vp_fail(err, VP_ERR_RANGE,
			       "%s %s is out of range (%" PRId64 "..%" PRId64 ")", what, str, min,
			       max);
	*out = value;
	return VP_OK;
}
