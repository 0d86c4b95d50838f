/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS credentials and the providers that find and refresh them.
 *
 * The default chain, in botocore's order (credentials.py
 * create_credential_resolver), the first source that is configured wins:
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN
 *      or AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION]; skipped when a
 *      profile was named explicitly (botocore does the same);
 *   2. the profile's role_arn with source_profile or credential_source
 *      (Environment, Ec2InstanceMetadata, EcsContainer): sts:AssumeRole;
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      [+ AWS_ROLE_SESSION_NAME], or the profile's web_identity_token_file +
 *      role_arn: sts:AssumeRoleWithWebIdentity (unsigned);
 *   4. the shared credentials file's profile (aws_access_key_id, ...);
 *   5. the config file's profile;
 *   6. the container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *      (http://169.254.170.2 + it) or AWS_CONTAINER_CREDENTIALS_FULL_URI
 *      (https, or http to loopback / 169.254.170.2 / 169.254.170.23 /
 *      fd00:ec2::23), Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
 *      (read each time) or AWS_CONTAINER_AUTHORIZATION_TOKEN;
 *   7. EC2 instance metadata, IMDSv2 (a session token first; v1 only when the
 *      token call is refused with 403/404/405 and AWS_EC2_METADATA_V1_DISABLED
 *      is not true), at AWS_EC2_METADATA_SERVICE_ENDPOINT or the profile's
 *      ec2_metadata_service_endpoint, else http://169.254.169.254 (or
 *      http://[fd00:ec2::254] with endpoint mode IPv6); skipped when
 *      AWS_EC2_METADATA_DISABLED=true.
 * Not implemented: SSO, credential_process, login sessions (they are for people, not the
 * broker). The source is chosen without network access when the chain is
 * created (the environment and files are read then); credentials are
 * fetched on first use.
 *
 * Refresh: temporary credentials are refreshed 15 minutes before they
 * expire (advisory); if that refresh fails the cached ones are still used
 * until 10 minutes before expiry (mandatory), as botocore does. One mutex
 * per provider: threads asking during a refresh wait for it.
 *
 * Secrets are wiped (OPENSSL_cleanse) when freed and never appear in error
 * messages or logs.
 */
#ifndef VP_AWS_CREDENTIALS_H
#define VP_AWS_CREDENTIALS_H

#include <stdbool.h>
#include <time.h>

#include "core/error.h"

struct vp_aws_config;

/* Caller-owned storage: vp_aws_credentials_cleanup() wipes and frees the strings. */
struct vp_aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL for long-term keys */
	time_t expiration;   /* 0: does not expire */
	const char *source;  /* static string naming the source ("environment", ...) */
};

void vp_aws_credentials_init(struct vp_aws_credentials *c);
void vp_aws_credentials_cleanup(struct vp_aws_credentials *c);
/* Set all fields (copies); token may be NULL. On failure *c is untouched. */
VP_NODISCARD vp_code vp_aws_credentials_set(struct vp_aws_credentials *c, const char *access_key_id,
					    const char *secret_access_key,
					    const char *session_token, time_t expiration,
					    const char *source, struct vp_error *err);

typedef time_t (*vp_aws_clock_fn)(void *ctx);

struct vp_aws_chain_options {
	const char *profile;          /* NULL: AWS_PROFILE, AWS_DEFAULT_PROFILE, "default" */
	const char *region;           /* for the STS calls of roles and web identity; may be NULL */
	const char *sts_endpoint_url; /* NULL: STS's default endpoint for the region */
	const struct vp_aws_config *config; /* NULL: load the shared files */
	vp_aws_clock_fn clock;              /* NULL: time() */
	void *clock_ctx;
	int advisory_refresh_s;    /* 0: 900 */
	int mandatory_refresh_s;   /* 0: 600 */
	long imds_timeout_ms;      /* 0: AWS_METADATA_SERVICE_TIMEOUT seconds, else 1 s */
	int imds_attempts;         /* 0: AWS_METADATA_SERVICE_NUM_ATTEMPTS, else 1 */
	long container_timeout_ms; /* 0: 2 s */
	int container_attempts;    /* 0: 3 */
	double retry_base_delay;   /* for the STS calls; 0: 1 s */
};

struct vp_aws_credentials_provider;

/* The default chain (above). VP_ERR_AUTH when no source is configured. */
VP_NODISCARD vp_code vp_aws_credentials_provider_new_chain(const struct vp_aws_chain_options *opts,
							   struct vp_aws_credentials_provider **out,
							   struct vp_error *err);

/* Fixed credentials (copied). */
VP_NODISCARD vp_code vp_aws_credentials_provider_new_static(
	const char *access_key_id, const char *secret_access_key, const char *session_token,
	struct vp_aws_credentials_provider **out, struct vp_error *err);

/* Another reference; every reference is dropped with _free. */
struct vp_aws_credentials_provider *
vp_aws_credentials_provider_ref(struct vp_aws_credentials_provider *p);
void vp_aws_credentials_provider_free(struct vp_aws_credentials_provider *p);

/*
 * Current credentials, fetched or refreshed when needed, copied into *out
 * (caller-owned: vp_aws_credentials_cleanup; it is cleaned first).
 */
VP_NODISCARD vp_code vp_aws_credentials_provider_get(struct vp_aws_credentials_provider *p,
						     struct vp_aws_credentials *out,
						     struct vp_error *err);

/* Forget the cached credentials, so the next get fetches (after an ExpiredToken). */
void vp_aws_credentials_provider_invalidate(struct vp_aws_credentials_provider *p);

/* The chosen source: "environment", "assume-role", "web-identity",
 * "shared-credentials-file", "config-file", "container", "imds", "static". */
const char *vp_aws_credentials_provider_source(const struct vp_aws_credentials_provider *p);

/* How many times the provider fetched credentials (tests, metrics). */
unsigned vp_aws_credentials_provider_fetches(struct vp_aws_credentials_provider *p);

/* Whether an AWS_CONTAINER_CREDENTIALS_FULL_URI may be used (https, or http to an allowed host). */
bool vp_aws_container_uri_allowed(const char *url);

#endif
