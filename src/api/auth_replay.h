/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's last step (api/auth.h): replaying a checked proof
 * (proof/proof.h) to STS, exactly as the client signed it, and reading who
 * STS says signed it. Nothing in a refusal repeats the proof's secrets.
 */
#ifndef VP_API_AUTH_REPLAY_H
#define VP_API_AUTH_REPLAY_H

#include "broker/types.h"
#include "core/error.h"
#include "proof/proof.h"

struct vp_aws_http;

/*
 * POST the proof to its URL through http, waiting at most timeout_ms. On
 * success *out names the signer. VP_ERR_AUTH when STS refused the proof,
 * VP_ERR_UNAVAILABLE when it could not be reached or throttled, VP_ERR_AWS
 * when its answer is unreadable or does not fit.
 */
VP_NODISCARD vp_code vp_auth_replay(struct vp_aws_http *http, long timeout_ms,
				    const struct vp_proof *proof, struct vp_identity *out,
				    struct vp_error *err);

#endif
