/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's verifier of identity proofs (docs/api.md "Identity proof",
 * the format is proof/proof.h).
 *
 * A struct vp_auth checks a proof (vp_proof_parse: method, URL, body, signed
 * server id, freshness), replays it to STS (api/auth_replay.h) and returns
 * who signed it. A proof is bound to one request (its signed
 * X-Vpcpeer-Request, "<METHOD> <path>"): one made for another method or path
 * is refused before any replay; an unbound proof only with accept_unbound
 * (logged and counted). Proofs that STS accepted are cached by their
 * signature and signed content until they expire, so a client's burst costs
 * STS one call. Safe to use
 * from many threads. vp_auth_new() / vp_auth_free() own it.
 */
#ifndef VP_API_AUTH_H
#define VP_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/admission.h"
#include "broker/types.h"
#include "core/error.h"
#include "proof/proof.h"

struct vp_metrics;

#define VP_AUTH_METRIC_UNBOUND "vpcpeer_auth_unbound_proofs_total"

struct vp_auth_config {
	struct vp_proof_config proof; /* which proofs are well-formed (proof/proof.h) */
	size_t cache_entries;         /* 0: 4096 */
	long sts_timeout_ms;          /* 0: 10 s */
	bool accept_unbound;          /* --accept-unbound-proofs: the upgrade window */
	struct vp_metrics *metrics;   /* NULL: none; else VP_AUTH_METRIC_UNBOUND is declared */
	struct vp_admission_config admission; /* before a replay (admission.h); zero: none */
};

/* The request a proof must be bound to: its method and path (no query), as sent. */
struct vp_auth_request {
	const char *method;
	const char *path;
	size_t path_len;
};

struct vp_auth;

/*
 * Copies the configuration; creates its own HTTP connection pool for the
 * replays. VP_ERR_INVALID names a bad setting (server id, partition,
 * sts_endpoint). libcurl must have been initialised (vp_aws_global_init).
 */
VP_NODISCARD vp_code vp_auth_new(const struct vp_auth_config *cfg, struct vp_auth **out,
				 struct vp_error *err);
void vp_auth_free(struct vp_auth *auth);

/*
 * Verify the value of an Authorization header sent with request `req`.
 * VP_ERR_AUTH (401) with the reason for anything wrong with the proof, a
 * proof bound to another request (or unbound, unless accept_unbound) or
 * refused by STS; VP_ERR_UNAVAILABLE (503) when STS could not be reached or
 * throttled. On success *out names the signer.
 */
VP_NODISCARD vp_code vp_auth_verify(struct vp_auth *auth, const char *authorization,
				    const struct vp_auth_request *req, struct vp_identity *out,
				    struct vp_error *err);

/*
 * vp_auth_verify() for a request from `source` (the client's address; NULL:
 * unknown): a proof that is not cached must pass admission control
 * (admission.h) before its replay; refused, VP_ERR_UNAVAILABLE with the
 * seconds to wait in *retry_after (0 for every other error).
 */
VP_NODISCARD vp_code vp_auth_verify_from(struct vp_auth *auth, const char *authorization,
					 const struct vp_auth_request *req, const char *source,
					 struct vp_identity *out, unsigned *retry_after,
					 struct vp_error *err);

/*
 * Which identities the cache may keep: only those `cacheable` says yes to
 * (the broker's allowed accounts), so proofs of refused accounts cannot push
 * allowed ones out. NULL (the default): every verified identity. Set it
 * before the first verification.
 */
typedef bool (*vp_auth_cacheable_fn)(void *ctx, const struct vp_identity *id);
void vp_auth_set_cacheable(struct vp_auth *auth, vp_auth_cacheable_fn fn, void *ctx);

/* The rules auth checks proofs against (for vp_proof_parse); they live as long as auth. */
const struct vp_proof_rules *vp_auth_rules(const struct vp_auth *auth);

#endif
