/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token buckets in an open-addressed table keyed by account: a linear probe
 * from the account's hash, never a removal (a compaction rebuilds the table
 * instead, when it is three quarters full).
 */
#include "api/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

struct rate_slot {
	char account[VP_RATELIMIT_KEY_MAX + 1]; /* "" when free */
	double tokens;
	double last; /* monotonic seconds */
};

struct vp_ratelimit {
	double rate, burst;
	pthread_mutex_t lock; /* the table */
	struct rate_slot *slots;
	size_t used;
};

static double now_seconds(void)
{
	return (double)vp_clock_monotonic_ms() / 1e3;
}

vp_code vp_ratelimit_new(double rate, double burst, struct vp_ratelimit **out, struct vp_error *err)
{
	struct vp_ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl)
		rl->slots = calloc(VP_RATELIMIT_SLOTS, sizeof(*rl->slots));
	if (!rl || !rl->slots) {
		free(rl);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for the rate limiter");
	}
	rl->rate = rate;
	rl->burst = burst;
	pthread_mutex_init(&rl->lock, NULL);
	*out = rl;
	return VP_OK;
}

void vp_ratelimit_free(struct vp_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl);
}

static size_t slot_hash(const char *account)
{
	size_t h = 5381;

	for (const char *p = account; *p && p < account + VP_RATELIMIT_KEY_MAX; p++)
		h = h * 33 + (unsigned char)*p;
	return h % VP_RATELIMIT_SLOTS;
}

/* Forget accounts whose bucket has refilled: they are indistinguishable from new ones. */
static void compact(struct vp_ratelimit *rl, double now)
{
	struct rate_slot *old = rl->slots;
	struct rate_slot *fresh = calloc(VP_RATELIMIT_SLOTS, sizeof(*fresh));
	double full_after = rl->burst / rl->rate;

	if (!fresh) {
		memset(rl->slots, 0, VP_RATELIMIT_SLOTS * sizeof(*rl->slots));
		rl->used = 0;
		return;
	}
	rl->slots = fresh;
	rl->used = 0;
	for (size_t i = 0; i < VP_RATELIMIT_SLOTS; i++) {
		size_t at;
		if (!old[i].account[0] || now - old[i].last >= full_after)
			continue;
		/* Still too full after dropping the idle ones: keep only half (fail open). */
		if (rl->used >= VP_RATELIMIT_SLOTS / 2)
			break;
		for (at = slot_hash(old[i].account); fresh[at].account[0];
		     at = (at + 1) % VP_RATELIMIT_SLOTS)
			;
		fresh[at] = old[i];
		rl->used++;
	}
	free(old);
}

bool vp_ratelimit_take(struct vp_ratelimit *rl, const char *account, unsigned *retry_after)
{
	double now = now_seconds();
	struct rate_slot *slot;
	size_t at;
	bool ok;

	pthread_mutex_lock(&rl->lock);
	for (;;) {
		for (at = slot_hash(account); rl->slots[at].account[0];
		     at = (at + 1) % VP_RATELIMIT_SLOTS)
			if (strncmp(rl->slots[at].account, account, VP_RATELIMIT_KEY_MAX) == 0)
				break;
		if (rl->slots[at].account[0] || rl->used < VP_RATELIMIT_SLOTS * 3 / 4)
			break;
		compact(rl, now);
	}
	slot = &rl->slots[at];
	if (!slot->account[0]) {
		snprintf(slot->account, sizeof(slot->account), "%s", account);
		slot->tokens = rl->burst;
		slot->last = now;
		rl->used++;
	}
	slot->tokens += (now - slot->last) * rl->rate;
	if (slot->tokens > rl->burst)
		slot->tokens = rl->burst;
	slot->last = now;
	ok = slot->tokens >= 1.0;
	if (ok)
		slot->tokens -= 1.0;
	else
		*retry_after = (unsigned)ceil((1.0 - slot->tokens) / rl->rate);
	pthread_mutex_unlock(&rl->lock);
	if (!ok && *retry_after == 0)
		*retry_after = 1;
	return ok;
}
