/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SDKs' "standard" retry mode (botocore retries/standard.py and quota.py,
 * the AWS SDKs reference guide "Retry behavior"):
 * - retryable: throttling codes, transient codes, HTTP 500/502/503/504 and
 *   connection errors; nothing else (not LimitExceeded, not NotFound);
 * - at most `max_attempts` attempts (3 by default, the first one included);
 * - delay before retry n (1-based) = random[0,1) * min(base * 2^(n-1), cap),
 *   base 1 s and cap 20 s by default ("full jitter");
 * - a retry quota shared by the client: 500 tokens, a retry takes 5 (10 after
 *   a timeout), no tokens means no retry; a success gives back what its
 *   retry took, or 1 when it needed none.
 */
#ifndef VP_AWS_RETRY_H
#define VP_AWS_RETRY_H

#include <pthread.h>
#include <stdbool.h>

enum {
	VP_AWS_RETRY_MAX_ATTEMPTS = 3,
	VP_AWS_RETRY_QUOTA_CAPACITY = 500,
	VP_AWS_RETRY_COST = 5,
	VP_AWS_RETRY_TIMEOUT_COST = 10,
	VP_AWS_RETRY_NO_RETRY_INCREMENT = 1,
};
#define VP_AWS_RETRY_BASE_DELAY  1.0  /* seconds */
#define VP_AWS_RETRY_MAX_BACKOFF 20.0 /* seconds */

bool vp_aws_retry_is_throttling_code(const char *code);
bool vp_aws_retry_is_transient_code(const char *code);
bool vp_aws_retry_is_transient_status(long http_status);

/*
 * Whether an attempt that ended like this may be retried: a transport error
 * (no HTTP answer), a throttling or transient code, or a transient status.
 * *throttling (may be NULL) tells whether it was throttling.
 */
bool vp_aws_retry_should_retry(bool transport_error, long http_status, const char *code,
			       bool *throttling);

/* Seconds to wait before retry `retry` (1 = the first retry); random01 in [0, 1). */
double vp_aws_retry_delay(int retry, double base, double cap, double random01);

/* A uniformly random double in [0, 1) from OpenSSL's generator (thread-safe). */
double vp_aws_random01(void);

/* The retry quota: a token bucket shared by the threads of one client. */
struct vp_aws_retry_quota {
	pthread_mutex_t lock;
	int available;
	int capacity;
};

void vp_aws_retry_quota_init(struct vp_aws_retry_quota *q, int capacity);
void vp_aws_retry_quota_cleanup(struct vp_aws_retry_quota *q);
/* Take `cost` tokens; false (and nothing taken) when fewer are left. */
bool vp_aws_retry_quota_acquire(struct vp_aws_retry_quota *q, int cost);
/* Give tokens back, never above the capacity. */
void vp_aws_retry_quota_release(struct vp_aws_retry_quota *q, int amount);
int vp_aws_retry_quota_available(struct vp_aws_retry_quota *q);

#endif
