/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Admission control before a proof's STS replay (docs/serving.md "Limits"):
 * a proof that is not in the verifier's cache costs an STS call, and anyone
 * can mint proofs (any account, unlimited session keys), so before the call
 *  - the source address (peer, PROXY v2 or trusted X-Forwarded-For) and
 *  - the proof's access key id
 * each take a token from their bucket (`rate` a second, at most `burst`), and
 * at most `max_replays` calls run at once. A refusal says when to retry; it
 * costs no STS call and holds no worker. Cached proofs are not counted here.
 *
 * Thread-safe. vp_admission_new() / vp_admission_free().
 */
#ifndef VP_API_ADMISSION_H
#define VP_API_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct vp_proof;

#define VP_ADMISSION_KEY_MAX 64 /* an access key id is 16..128 characters; 20 in practice */

struct vp_admission_config {
	unsigned max_replays; /* STS replays at once; 0: admission control off */
	double source_rate;   /* replays per second per source address */
	double source_burst;
	double key_rate; /* replays per second per access key id */
	double key_burst;
};

/*
 * The defaults of `vpcpeer serve`: 48 at once, 100/s burst 500 a source, 20/s burst 200 a
 * key: one busy client (a benchmark, a CI run) never notices; internet-facing brokers set
 * lower ones (docs/serving.md).
 */
void vp_admission_config_defaults(struct vp_admission_config *cfg);

struct vp_admission;

/* VP_ERR_INVALID for a rate or burst out of range, VP_ERR_NOMEM. */
VP_NODISCARD vp_code vp_admission_new(const struct vp_admission_config *cfg,
				      struct vp_admission **out, struct vp_error *err);
void vp_admission_free(struct vp_admission *adm);

/*
 * May the replay of `proof` from `source` (NULL: unknown, no source bucket)
 * go ahead? true: it holds one of the max_replays slots until
 * vp_admission_leave(). false: *retry_after (seconds, >= 1) and a message
 * saying which limit refused it.
 */
bool vp_admission_enter(struct vp_admission *adm, const char *source, const struct vp_proof *proof,
			unsigned *retry_after, char *why, size_t why_size);
void vp_admission_leave(struct vp_admission *adm);

/* The access key id of the proof's SigV4 credential ("" when there is none). */
void vp_admission_key_of(const struct vp_proof *proof, char out[VP_ADMISSION_KEY_MAX + 1]);

#endif
