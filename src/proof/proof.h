/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity proof (docs/api.md "Identity proof"): an sts:GetCallerIdentity
 * request, signed with the caller's AWS credentials but never sent, that
 * names the broker it is for (the signed X-Vpcpeer-Server-Id header) and the
 * request it is for (the signed X-Vpcpeer-Request header, "<METHOD> <path>"), packed
 * as base64 JSON in an Authorization header "Vpcpeer-Proof <base64>".
 *
 * Both sides of the format live here: vp_proof_make() for the clients (the
 * CLI's broker client, the Lambda handler), vp_proof_parse() for the broker,
 * which decodes and checks a proof (method, URL, body, signed server id,
 * freshness) before its verifier (api/auth.h) replays it to STS. Nothing
 * here talks to the network, and nothing echoes a signature, a session token
 * or a key.
 */
#ifndef VP_PROOF_PROOF_H
#define VP_PROOF_PROOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/endpoint.h"
#include "aws/sigv4.h"
#include "core/error.h"

struct vp_aws_client;

#define VP_PROOF_SCHEME           "Vpcpeer-Proof"
#define VP_PROOF_SERVER_ID_HEADER "X-Vpcpeer-Server-Id"
#define VP_PROOF_REQUEST_HEADER   "X-Vpcpeer-Request" /* "<METHOD> <path>" it is for */
#define VP_PROOF_REQUEST_MAX      1024
/* The whole Authorization value. API Gateway's HTTP API takes at most 10,240 bytes of request
 * line and headers: 8 KiB leaves 2 KiB for the rest (docs/serverless.md). */
#define VP_PROOF_MAX_HEADER        8192
#define VP_PROOF_SERVER_ID_MAX     255
#define VP_PROOF_DEFAULT_MAX_AGE   300 /* seconds either side of the broker's clock */
#define VP_PROOF_MAX_MAX_AGE       900 /* STS refuses a request older than 15 min (RequestExpired) */
#define VP_PROOF_MAX_SKEW          60  /* seconds a proof may be dated ahead of the broker */
#define VP_PROOF_MAX_PROOF_HEADERS 16
#define VP_PROOF_MAX_STS_HOSTS     8 /* extra STS hosts a broker may accept (--sts-endpoint) */

/*
 * A server id: 1..VP_PROOF_SERVER_ID_MAX visible ASCII characters, no space
 * (it must survive SigV4's header-value trimming unchanged). VP_ERR_INVALID.
 */
VP_NODISCARD vp_code vp_proof_server_id_check(const char *id, struct vp_error *err);

/*
 * The binding of a proof to one request: "<METHOD> <path>" into out (the
 * path without its query string, as sent). VP_ERR_INVALID when the method is
 * not an HTTP token, the path does not start with '/' or has a space or a
 * control character; VP_ERR_RANGE when it does not fit (VP_PROOF_REQUEST_MAX).
 */
VP_NODISCARD vp_code vp_proof_request_line(const char *method, const char *path, size_t path_len,
					   char *out, size_t size, struct vp_error *err);

/*
 * Client side. *header_value is "Vpcpeer-Proof <base64>", the caller frees
 * it. request: vp_proof_request_line() of the call the proof is for (signed
 * as X-Vpcpeer-Request); NULL makes an unbound proof, which brokers refuse
 * unless started with --accept-unbound-proofs. VP_ERR_INVALID for a bad
 * server id or request; other errors come from the credentials chain (no
 * credentials: VP_ERR_AUTH).
 */
VP_NODISCARD vp_code vp_proof_make(struct vp_aws_client *client, const char *server_id,
				   const char *request, char **header_value, struct vp_error *err);

/*
 * The default server id of a broker URL: its host:port, the host in lower
 * case ("broker.example.com:443"). VP_ERR_INVALID for anything but an
 * http(s) URL with a host; VP_ERR_RANGE when it does not fit in size.
 */
VP_NODISCARD vp_code vp_proof_default_server_id(const char *broker_url, char *out, size_t size,
						struct vp_error *err);

/* What a broker accepts, as it configures it. */
struct vp_proof_config {
	const char *server_id;        /* required */
	const char *partition;        /* "aws", "aws-cn", "aws-us-gov": which STS hosts count */
	const char *sts_endpoint;     /* also accepted (the broker's own STS endpoint URL, e.g.
					 AWS_ENDPOINT_URL in tests); NULL: partition hosts only */
	const char *const *sts_hosts; /* also accepted: "host" or "https://host[:port]", https
					 only (VPC endpoint names...); --sts-endpoint */
	size_t sts_host_count;        /* at most VP_PROOF_MAX_STS_HOSTS */
	int64_t max_age_seconds;      /* 0: VP_PROOF_DEFAULT_MAX_AGE */
	int64_t (*clock)(void *ctx);  /* unix seconds; NULL: time() */
	void *clock_ctx;
};

/*
 * The same, checked and ready for vp_proof_parse(). Caller-owned storage,
 * nothing to free; it borrows clock_ctx.
 */
struct vp_proof_rules {
	char server_id[VP_PROOF_SERVER_ID_MAX + 1];
	const struct vp_aws_partition *partition;
	bool have_endpoint;
	char endpoint_url[VP_AWS_URL_MAX + 8];                      /* "scheme://host[:port]/" */
	char sts_hosts[VP_PROOF_MAX_STS_HOSTS][VP_AWS_URL_MAX + 8]; /* "https://host[:port]/" */
	size_t sts_host_count;
	int64_t max_age;
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
};

/*
 * Check cfg into *out. VP_ERR_INVALID names a bad setting (server id, max
 * age, partition, sts_endpoint); *out is untouched then.
 */
VP_NODISCARD vp_code vp_proof_rules_init(struct vp_proof_rules *out,
					 const struct vp_proof_config *cfg, struct vp_error *err);

/*
 * A proof decoded and checked, before any replay. Caller-owned storage;
 * vp_proof_cleanup() frees and wipes it (twice is a no-op).
 */
struct vp_proof {
	char *method;
	char *url;
	struct vp_aws_owned_header headers[VP_PROOF_MAX_PROOF_HEADERS]; /* as given */
	size_t header_count;
	char *body;
	size_t body_len;
	char signature[VP_AWS_SHA256_HEX_LEN + 1]; /* from the SigV4 Authorization header */
	int64_t signed_at;                         /* X-Amz-Date, unix seconds */
	const char *request;      /* the signed X-Vpcpeer-Request (in headers), NULL: unbound */
	unsigned signed_mask;     /* which of the allowed headers are signed (parse.c's order) */
	unsigned char digest[32]; /* SHA-256 of method, URL, signed headers, body: what the
				     signature covers, so unsigned headers never make a new key */
};

/*
 * Decode and check the value of an Authorization header against the rules
 * and their clock: every check of docs/api.md except STS's. VP_ERR_AUTH with
 * the reason; on success *out is filled (the caller cleans it up), otherwise
 * untouched. Safe from many threads on the same rules.
 */
VP_NODISCARD vp_code vp_proof_parse(const struct vp_proof_rules *rules, const char *authorization,
				    struct vp_proof *out, struct vp_error *err);
void vp_proof_cleanup(struct vp_proof *proof);

#endif
