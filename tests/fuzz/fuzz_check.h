/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every parser's fuzz target asks of an answer: a refusal says why, and
 * a list that was accepted holds, in every item, what callers rely on. A
 * broken promise aborts, which the fuzzer reports as a crash with its input.
 */
#ifndef VP_FUZZ_CHECK_H
#define VP_FUZZ_CHECK_H

#include <stdlib.h>

#include "core/error.h"

static inline void fuzz_refused_with_reason(vp_code rc, const struct vp_error *err)
{
	if (rc != VP_OK && err->message[0] == '\0')
		abort();
}

/* After rc = parse(..., &list, ...): every item of an accepted list has its FIELD. */
#define FUZZ_EACH_ITEM_HAS(rc, list, field)                                                        \
	do {                                                                                       \
		for (size_t i_ = 0; (rc) == VP_OK && i_ < (list)->count; i_++)                     \
			if (!(list)->items[i_].field)                                              \
				abort();                                                           \
	} while (0)

#endif
