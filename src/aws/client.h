/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS client: region, endpoints, credentials, retries and HTTP for the
 * STS, IAM and EC2 calls (sts.h, iam.h, ec2.h). docs/aws-client.md has the
 * design.
 *
 * Global state: libcurl and libxml2 need a one-time initialisation before any
 * thread uses them and a cleanup at exit. The program's edge does it: a
 * command that talks to AWS calls vp_aws_global_init() first and
 * vp_aws_global_cleanup() last (cmd_whoami.c; the broker's main; each test
 * program). Both are counted, so nested pairs are fine; they are not
 * thread-safe themselves.
 *
 * Threads: a client may be used by any number of threads at once. Its
 * configuration is fixed at creation; the credentials provider, the retry
 * quota and the connection pool are locked inside.
 *
 * Credentials: the client signs with the provider it is given
 * (credentials.h). The default chain (chain.h) sits above the client, since
 * its role and web identity sources call STS through a client of their own:
 * vp_aws_client_new_default() there makes a client with it.
 *
 * Ownership: vp_aws_client_new() gives the caller a client to
 * vp_aws_client_free(). A credentials provider passed in the config is
 * borrowed: the client takes its own reference.
 */
#ifndef VP_AWS_CLIENT_H
#define VP_AWS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/error.h"
#include "aws/sigv4.h"
#include "core/buf.h"

VP_NODISCARD vp_code vp_aws_global_init(struct vp_error *err);
/*
 * The same, and when no_openssl_config is set and OPENSSL_CONF is unset or
 * empty, OpenSSL reads no configuration file (the Lambda handler: the zip's
 * libcrypto would look for the build machine's /usr/lib/ssl/openssl.cnf,
 * which the Lambda image does not have; docs/lambda.md). Must come before any
 * other use of OpenSSL, libcurl included, to take effect.
 */
VP_NODISCARD vp_code vp_aws_global_init_lean(bool no_openssl_config, struct vp_error *err);
void vp_aws_global_cleanup(void);

struct vp_aws_client_config {
	const char *region;  /* NULL: AWS_REGION, AWS_DEFAULT_REGION, the profile's region */
	const char *profile; /* NULL: AWS_PROFILE, AWS_DEFAULT_PROFILE, "default" */
	const char
		*endpoint_url;   /* every service; NULL: AWS_ENDPOINT_URL_<SVC>, AWS_ENDPOINT_URL,
				    the profile's services section, its endpoint_url, the default */
	const char *config_file; /* NULL: AWS_CONFIG_FILE or ~/.aws/config */
	const char *credentials_file; /* NULL: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials */
	const struct vp_aws_config *shared_config; /* already loaded files (borrowed, read during
						      new only); NULL: load them */
	struct vp_aws_credentials_provider *credentials; /* NULL: none yet (see
							    vp_aws_client_set_credentials) */
	bool anonymous;           /* send unsigned (STS AssumeRoleWithWebIdentity) */
	int max_attempts;         /* 0: AWS_MAX_ATTEMPTS, the profile's max_attempts, else 3 */
	double retry_base_delay;  /* seconds; 0: 1 s. Tests use a few milliseconds. */
	double retry_max_backoff; /* seconds; 0: 20 s */
	int retry_quota;          /* tokens; 0: 500 */
	long connect_timeout_ms;  /* 0: 10 s */
	long timeout_ms;          /* per attempt; 0: 60 s */
	int ec2_page_size;        /* MaxResults for paged EC2 calls; 0: let EC2 decide */
	vp_aws_clock_fn clock;    /* signing time; NULL: time() */
	void *clock_ctx;
	struct vp_aws_chain_options chain; /* for vp_aws_client_new_default()'s chain (timeouts,
					      refresh windows); unused by vp_aws_client_new() */
};

struct vp_aws_client;

VP_NODISCARD vp_code vp_aws_client_new(const struct vp_aws_client_config *cfg,
				       struct vp_aws_client **out, struct vp_error *err);
void vp_aws_client_free(struct vp_aws_client *client);

/* The resolved region (NULL when none is configured: STS and IAM still work). */
const char *vp_aws_client_region(const struct vp_aws_client *client);
/* The partition of the region ("aws" when none): endpoints and ARNs. */
const struct vp_aws_partition *vp_aws_client_partition(const struct vp_aws_client *client);
/* The endpoint of a service, or NULL when it cannot be resolved (EC2 without a region). */
const struct vp_aws_endpoint *vp_aws_client_endpoint(const struct vp_aws_client *client,
						     enum vp_aws_service svc);
/* The credentials provider (borrowed; NULL for an anonymous client). */
struct vp_aws_credentials_provider *vp_aws_client_credentials(const struct vp_aws_client *client);
/*
 * Give a client created without a provider its credentials (the client takes
 * a reference; it drops the one it had). Only before the client is shared
 * between threads: calls made without a provider fail with VP_ERR_AUTH.
 */
void vp_aws_client_set_credentials(struct vp_aws_client *client,
				   struct vp_aws_credentials_provider *credentials);
int vp_aws_client_page_size(const struct vp_aws_client *client);
/* Tokens left in the retry quota (tests, metrics). */
int vp_aws_client_retry_quota(struct vp_aws_client *client);

/* Query-API parameters: a form-encoded body "Action=..&Version=..&k=v..". */
struct vp_aws_params {
	struct vp_buf body;
	vp_code status; /* the first failure sticks, so calls can chain adds */
};

#define VP_AWS_PARAMS_MAX ((size_t)1 << 20)

void vp_aws_params_init(struct vp_aws_params *p, enum vp_aws_service svc, const char *action);
void vp_aws_params_cleanup(struct vp_aws_params *p);
void vp_aws_params_add(struct vp_aws_params *p, const char *name, const char *value);
/* The name is a printf format ("Filter.%zu.Value.%zu"). */
void vp_aws_params_addf(struct vp_aws_params *p, const char *value, const char *name_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * One Query-API call with the standard retries. On success `response` holds
 * the body of the 2xx answer (caller-initialised, replaced). On failure the
 * error says what AWS answered (or that it did not), after how many attempts.
 * `action` names the call in messages.
 */
VP_NODISCARD vp_code vp_aws_client_call(struct vp_aws_client *client, enum vp_aws_service svc,
					const char *action, const struct vp_aws_params *params,
					struct vp_buf *response, struct vp_aws_error *err);

/* Longest REST request path with its query (Route 53's nexttoken may be 1024 bytes escaped). */
#define VP_AWS_PATH_MAX 3200

/*
 * One REST call (Route 53's REST-XML) with the same signing, retries and
 * error handling as vp_aws_client_call(): `method` to endpoint URL + `path`
 * (which starts with '/' and holds any query, already URI-encoded), the body
 * sent as `content_type` (NULL: application/xml). AWS's error code is in
 * err->code; the vp code is vp_aws_error_map()'s (a service may remap it).
 */
VP_NODISCARD vp_code vp_aws_client_rest(struct vp_aws_client *client, enum vp_aws_service svc,
					const char *action, const char *method, const char *path,
					const char *content_type, const void *body, size_t body_len,
					struct vp_buf *response, struct vp_aws_error *err);

/*
 * A REST call with more to say (Lambda Invoke, lambda.h): extra headers
 * (signed), a longer timeout per attempt (the function runs while the
 * answer waits), REST-JSON errors, and the X-Amz-Function-Error header of a
 * 2xx answer copied to function_error ("" when none; may be NULL).
 */
#define VP_AWS_FUNCTION_ERROR_MAX 32
struct vp_aws_rest_request {
	const char *method;
	const char *path;         /* starts with '/', already URI-encoded */
	const char *content_type; /* NULL: application/json */
	const void *body;
	size_t body_len;
	const struct vp_aws_header *headers; /* at most VP_AWS_SIGV4_MAX_HEADERS - 4 */
	size_t header_count;
	long timeout_ms;  /* per attempt; 0: the client's */
	int max_attempts; /* at most the client's; 0: the client's */
	bool json_errors; /* errors are REST-JSON (x-amzn-ErrorType) */
};
VP_NODISCARD vp_code vp_aws_client_rest_ex(struct vp_aws_client *client, enum vp_aws_service svc,
					   const char *action,
					   const struct vp_aws_rest_request *req,
					   struct vp_buf *response,
					   char function_error[VP_AWS_FUNCTION_ERROR_MAX],
					   struct vp_aws_error *err);

/* Reads a 2xx answer's body for vp_aws_client_call_parse(); ctx is the caller's. */
typedef vp_code (*vp_aws_body_parser)(const char *body, size_t len, void *ctx,
				      struct vp_error *err);

/*
 * vp_aws_client_call(), then parse(body, len, ctx) on the answer unless
 * parse is NULL. A parser's failure is reported as "<service> <action>:
 * <reason>" with the parser's code. The body is wiped before it is freed (it
 * may hold credentials).
 */
VP_NODISCARD vp_code vp_aws_client_call_parse(struct vp_aws_client *client, enum vp_aws_service svc,
					      const char *action,
					      const struct vp_aws_params *params,
					      vp_aws_body_parser parse, void *ctx,
					      struct vp_aws_error *err);

/*
 * One REST-JSON call (RAM; the first of them): POST `json` (a complete
 * document) to `path` ("/getresourceshares") of the service's endpoint with
 * Content-Type application/json, signed and retried like a Query-API call,
 * then parse(body) unless parse is NULL. Errors are read from the
 * x-amzn-ErrorType header or the body's "__type"/"code" and "message"
 * (vp_aws_error_parse_json). The answer is parsed as XML is not: the parser
 * gets the raw JSON.
 */
VP_NODISCARD vp_code vp_aws_client_call_json(struct vp_aws_client *client, enum vp_aws_service svc,
					     const char *action, const char *path, const char *json,
					     vp_aws_body_parser parse, void *ctx,
					     struct vp_aws_error *err);

/*
 * Sign a Query-API POST for `svc` with the client's credentials without
 * sending it (identity proofs). extra_headers are signed too. *out is the
 * caller's (vp_aws_signed_request_free).
 */
VP_NODISCARD vp_code vp_aws_client_sign(struct vp_aws_client *client, enum vp_aws_service svc,
					const struct vp_aws_params *params,
					const struct vp_aws_header *extra_headers,
					size_t extra_count, struct vp_aws_signed_request **out,
					struct vp_error *err);

#endif
