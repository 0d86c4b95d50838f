/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Signature Version 4 (aws-wire.md §1; the AWS SigV4 test suite).
 *
 * vp_aws_sigv4_sign() turns (method, URL, headers, body) into a signed
 * request that the caller owns: either sent by the client (client.c) or, for
 * the broker's identity proof (docs/api.md, "Identity proof"), handed to someone else unsent
 * (method, URL, headers including Host, X-Amz-Date, X-Amz-Security-Token and
 * Authorization, and the body). Every header given is signed, plus host and
 * x-amz-date (and x-amz-security-token with temporary credentials).
 *
 * The URL's path is taken as sent and URI-encoded once more for the canonical
 * request (AWS's rule for every service but S3); the query is decoded and
 * re-encoded strictly, then sorted. Secrets and derived keys are wiped.
 */
#ifndef VP_AWS_SIGV4_H
#define VP_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"

/* A header by reference (the caller owns the strings). */
struct vp_aws_header {
	const char *name;
	const char *value;
};

struct vp_aws_sigv4_params {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL for long-term keys */
	const char *region;        /* credential scope, e.g. "us-east-1" */
	const char *service;       /* credential scope, e.g. "sts" */
	time_t time;               /* signing time (X-Amz-Date) */
};

/* One owned header of a signed request. */
struct vp_aws_owned_header {
	char *name;
	char *value;
};

/* A signed request; everything in it is owned: vp_aws_signed_request_free(). */
struct vp_aws_signed_request {
	char *method;
	char *url;
	struct vp_aws_owned_header
		*headers; /* in order: Host, the given ones, added ones, Authorization */
	size_t header_count;
	char *body; /* NUL-terminated copy, body_len bytes */
	size_t body_len;
	char *signature; /* hex, also inside the Authorization header */
};

#define VP_AWS_SIGV4_MAX_HEADERS 32
#define VP_AWS_SHA256_HEX_LEN    64

/*
 * Sign. The headers must not include Host or Authorization (Host comes from
 * the URL; X-Amz-Date and X-Amz-Security-Token are added unless given). On
 * success *out is the caller's; on failure nothing is allocated.
 */
VP_NODISCARD vp_code vp_aws_sigv4_sign(const char *method, const char *url,
				       const struct vp_aws_header *headers, size_t header_count,
				       const void *body, size_t body_len,
				       const struct vp_aws_sigv4_params *params,
				       struct vp_aws_signed_request **out, struct vp_error *err);

/* Free a signed request (wiping the signature and any token). NULL is a no-op. */
void vp_aws_signed_request_free(struct vp_aws_signed_request *req);

/* Value of a header of a signed request (case-insensitive name), or NULL. */
const char *vp_aws_signed_request_header(const struct vp_aws_signed_request *req, const char *name);

/* The pieces, exposed for tests and for verifiers. */

/* Append `len` bytes URI-encoded (A-Za-z0-9-_.~ kept; '/' kept when keep_slash). */
VP_NODISCARD vp_code vp_aws_uri_encode(struct vp_buf *out, const char *s, size_t len,
				       bool keep_slash);

/*
 * The canonical request for a request whose complete header set (including
 * host and x-amz-date) is `headers`; also the SignedHeaders list.
 */
VP_NODISCARD vp_code vp_aws_sigv4_canonical_request(const char *method, const char *url,
						    const struct vp_aws_header *headers,
						    size_t header_count, const void *body,
						    size_t body_len, struct vp_buf *out,
						    struct vp_buf *signed_headers,
						    struct vp_error *err);

/* hex(SHA-256(data)) into hex[65]. */
void vp_aws_sha256_hex(const void *data, size_t len, char hex[VP_AWS_SHA256_HEX_LEN + 1]);

/* kSigning for (secret, YYYYMMDD, region, service); key[32]. Wipe it after use. */
VP_NODISCARD vp_code vp_aws_sigv4_signing_key(const char *secret, const char *date8,
					      const char *region, const char *service,
					      unsigned char key[32], struct vp_error *err);

/* "YYYYMMDDTHHMMSSZ" (UTC) into out[17]. */
void vp_aws_amz_date(time_t t, char out[17]);

#endif
