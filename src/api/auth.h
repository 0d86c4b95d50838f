/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Identity proofs (docs/api.md "Identity proof", DESIGN.md §5).
 *
 * Client side: vp_auth_make_proof() signs, with the client's credentials, an
 * unsent sts:GetCallerIdentity that names the broker (X-Vpcpeer-Server-Id) and
 * packs it as the value of an Authorization header.
 *
 * Server side: a struct vp_auth checks a proof (method, URL, body, signed
 * server id, freshness), replays it to STS and returns who signed it. Proofs
 * that STS accepted are cached by their signature until they expire, so a
 * client's burst costs STS one call. Safe to use from many threads.
 * vp_auth_new() / vp_auth_free() own it.
 */
#ifndef VP_API_AUTH_H
#define VP_API_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "aws/sigv4.h"
#include "broker/types.h"
#include "core/error.h"

struct vp_aws_client;
struct vp_aws_http;

#define VP_AUTH_SCHEME            "Vpcpeer-Proof"
#define VP_AUTH_SERVER_ID_HEADER  "X-Vpcpeer-Server-Id"
#define VP_AUTH_MAX_HEADER        12288 /* the whole Authorization value */
#define VP_AUTH_SERVER_ID_MAX     255
#define VP_AUTH_DEFAULT_MAX_AGE   300 /* seconds either side of the broker's clock */
#define VP_AUTH_MAX_PROOF_HEADERS 16

/*
 * Client side. *header_value is "Vpcpeer-Proof <base64>", the caller frees
 * it. Errors come from the credentials chain (no credentials: VP_ERR_AUTH).
 */
VP_NODISCARD vp_code vp_auth_make_proof(struct vp_aws_client *client, const char *server_id,
					char **header_value, struct vp_error *err);

/* The default server id of a broker URL: its host:port ("broker.example.com:443"). */
VP_NODISCARD vp_code vp_auth_default_server_id(const char *broker_url, char *out, size_t size,
					       struct vp_error *err);

struct vp_auth_config {
	const char *server_id;       /* required */
	const char *partition;       /* "aws", "aws-cn", "aws-us-gov": which STS hosts count */
	const char *sts_endpoint;    /* also accepted (the broker's own STS endpoint URL, e.g.
					AWS_ENDPOINT_URL in tests); NULL: partition hosts only */
	int64_t max_age_seconds;     /* 0: VP_AUTH_DEFAULT_MAX_AGE */
	size_t cache_entries;        /* 0: 4096 */
	long sts_timeout_ms;         /* 0: 10 s */
	int64_t (*clock)(void *ctx); /* unix seconds; NULL: time() */
	void *clock_ctx;
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
 * Verify the value of an Authorization header. VP_ERR_AUTH (401) with the
 * reason for anything wrong with the proof or refused by STS;
 * VP_ERR_UNAVAILABLE (503) when STS could not be reached or throttled.
 * On success *out names the signer.
 */
VP_NODISCARD vp_code vp_auth_verify(struct vp_auth *auth, const char *authorization,
				    struct vp_identity *out, struct vp_error *err);

/*
 * A proof decoded and checked, before any replay: what vp_auth_verify() does
 * up to the cache and STS (and what the fuzz target drives). Caller-owned
 * storage; vp_auth_proof_cleanup() frees and wipes it (twice is a no-op).
 */
struct vp_auth_proof {
	char *method;
	char *url;
	struct vp_aws_owned_header headers[VP_AUTH_MAX_PROOF_HEADERS]; /* as given */
	size_t header_count;
	char *body;
	size_t body_len;
	char signature[VP_AWS_SHA256_HEX_LEN + 1]; /* from the SigV4 Authorization header */
	int64_t signed_at;                         /* X-Amz-Date, unix seconds */
	unsigned char digest[32];                  /* SHA-256 of method, URL, headers, body */
};

/*
 * Decode and check a proof against auth's configuration and clock: every
 * check of docs/api.md except STS's. VP_ERR_AUTH with the reason; on success
 * *out is filled (the caller cleans it up), otherwise untouched.
 */
VP_NODISCARD vp_code vp_auth_parse_proof(struct vp_auth *auth, const char *authorization,
					 struct vp_auth_proof *out, struct vp_error *err);
void vp_auth_proof_cleanup(struct vp_auth_proof *proof);

#endif
