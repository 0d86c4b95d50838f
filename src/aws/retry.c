/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/retry.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <openssl/rand.h>

static bool in_list(const char *code, const char *const *list)
{
	if (!code || !code[0])
		return false;
	for (size_t i = 0; list[i]; i++)
		if (strcmp(code, list[i]) == 0)
			return true;
	return false;
}

bool vp_aws_retry_is_throttling_code(const char *code)
{
	/* botocore retries/standard.py ThrottlingErrorDetector (+ STS IDPCommunicationError below)
	 */
	static const char *const codes[] = {"Throttling",
					    "ThrottlingException",
					    "ThrottledException",
					    "RequestThrottledException",
					    "TooManyRequestsException",
					    "ProvisionedThroughputExceededException",
					    "TransactionInProgressException",
					    "RequestLimitExceeded",
					    "BandwidthLimitExceeded",
					    "LimitExceededException",
					    "RequestThrottled",
					    "SlowDown",
					    "EC2ThrottledException",
					    NULL};
	return in_list(code, codes);
}

bool vp_aws_retry_is_transient_code(const char *code)
{
	static const char *const codes[] = {"RequestTimeout", "RequestTimeoutException",
					    "PriorRequestNotComplete",
					    /* modelled retryable in STS */
					    "IDPCommunicationError", NULL};
	return in_list(code, codes);
}

bool vp_aws_retry_is_transient_status(long status)
{
	return status == 500 || status == 502 || status == 503 || status == 504;
}

bool vp_aws_retry_should_retry(bool transport_error, long http_status, const char *code,
			       bool *throttling)
{
	bool throttle = vp_aws_retry_is_throttling_code(code);

	if (throttling)
		*throttling = throttle;
	return transport_error || throttle || vp_aws_retry_is_transient_code(code) ||
	       vp_aws_retry_is_transient_status(http_status);
}

double vp_aws_retry_delay(int retry, double base, double cap, double random01)
{
	double ceiling;

	if (retry < 1)
		retry = 1;
	if (retry > 62)
		retry = 62;
	ceiling = base * ldexp(1.0, retry - 1);
	if (ceiling > cap)
		ceiling = cap;
	if (random01 < 0.0)
		random01 = 0.0;
	if (random01 >= 1.0)
		random01 = 0.0;
	return random01 * ceiling;
}

double vp_aws_random01(void)
{
	uint64_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		return 0.5;
	return (double)(r >> 11) * 0x1.0p-53; /* 53 random bits: [0, 1) */
}

void vp_aws_retry_quota_init(struct vp_aws_retry_quota *q, int capacity)
{
	pthread_mutex_init(&q->lock, NULL);
	q->capacity = capacity;
	q->available = capacity;
}

void vp_aws_retry_quota_cleanup(struct vp_aws_retry_quota *q)
{
	pthread_mutex_destroy(&q->lock);
}

bool vp_aws_retry_quota_acquire(struct vp_aws_retry_quota *q, int cost)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	ok = q->available >= cost;
	if (ok)
		q->available -= cost;
	pthread_mutex_unlock(&q->lock);
	return ok;
}

void vp_aws_retry_quota_release(struct vp_aws_retry_quota *q, int amount)
{
	pthread_mutex_lock(&q->lock);
	q->available += amount;
	if (q->available > q->capacity)
		q->available = q->capacity;
	pthread_mutex_unlock(&q->lock);
}

int vp_aws_retry_quota_available(struct vp_aws_retry_quota *q)
{
	int n;

	pthread_mutex_lock(&q->lock);
	n = q->available;
	pthread_mutex_unlock(&q->lock);
	return n;
}
