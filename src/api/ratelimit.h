/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-account rate limit of the HTTP server: one token bucket per AWS
 * account (`rate` tokens a second, at most `burst`), checked after the
 * caller's proof is verified. It tracks up to VP_RATELIMIT_SLOTS accounts at
 * once; accounts whose bucket is full again are forgotten first (they are
 * indistinguishable from new ones), and when even that is not enough it keeps
 * half and fails open. docs/serving.md describes it for operators.
 *
 * Thread-safe: any thread may call vp_ratelimit_take() at any time.
 */
#ifndef VP_API_RATELIMIT_H
#define VP_API_RATELIMIT_H

#include <stdbool.h>

#include "core/error.h"

#define VP_RATELIMIT_SLOTS   4096
#define VP_RATELIMIT_KEY_MAX 64 /* longer keys are cut (they share a bucket) */

struct vp_ratelimit;

/*
 * A limiter of `rate` requests per second (> 0) with buckets of `burst`
 * tokens (>= 1), every bucket full. VP_ERR_NOMEM; *out untouched on failure.
 * vp_ratelimit_free() frees it.
 */
VP_NODISCARD vp_code vp_ratelimit_new(double rate, double burst, struct vp_ratelimit **out,
				      struct vp_error *err);

/*
 * Take one token from `account`'s bucket (a 12-digit account id, or any key
 * of admission.h: a source address, an access key id). true when
 * there was one; false, with the whole seconds until there is one (at least
 * 1) in *retry_after, when not.
 */
bool vp_ratelimit_take(struct vp_ratelimit *rl, const char *account, unsigned *retry_after);

/* NULL is a no-op. */
void vp_ratelimit_free(struct vp_ratelimit *rl);

#endif
