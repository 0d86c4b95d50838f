/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS credentials and the provider that caches and refreshes them.
 *
 * A provider fetches credentials from one source and keeps them. The sources
 * each have their file: fixed keys (here: the environment, the shared files,
 * static keys), the container endpoint (container.h), EC2 instance metadata
 * (imds.h), sts:AssumeRole and web identity (assume_role.h). The default
 * chain that picks one of them is chain.h; it sits above the client, which
 * only needs this file.
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
#include <stddef.h>
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

/* Wipe a secret string and free it; NULL is a no-op. */
void vp_aws_secret_free(char *s);

typedef time_t (*vp_aws_clock_fn)(void *ctx);

/* The options of the default chain (chain.h) and of the providers it makes. */
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
	double retry_base_delay;   /* for the STS calls and between container attempts; 0: 1 s */
};

struct vp_aws_credentials_provider;

/*
 * What one kind of source does, for vp_aws_credentials_provider_new():
 * fetch fresh credentials into *out (caller-initialised; `now` is the
 * provider's clock), and free the source's state.
 */
struct vp_aws_credentials_source {
	vp_code (*fetch)(void *state, time_t now, struct vp_aws_credentials *out,
			 struct vp_error *err);
	void (*free)(void *state);
};

/*
 * A provider over `source` and its `state`, which it owns from now on (freed
 * with source->free, also when this fails). `name` is static: the provider's
 * vp_aws_credentials_provider_source(). o gives the clock and the refresh
 * windows (NULL: the defaults).
 */
VP_NODISCARD vp_code vp_aws_credentials_provider_new(const struct vp_aws_credentials_source *source,
						     void *state, const char *name,
						     const struct vp_aws_chain_options *o,
						     struct vp_aws_credentials_provider **out,
						     struct vp_error *err);

/* Fixed credentials (copied), valid until `expiration` (0: for ever); name as above. */
VP_NODISCARD vp_code vp_aws_credentials_provider_new_fixed(
	const char *name, const char *access_key_id, const char *secret_access_key,
	const char *session_token, time_t expiration, const struct vp_aws_chain_options *o,
	struct vp_aws_credentials_provider **out, struct vp_error *err);

/* Fixed credentials (copied) named "static". */
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

/*
 * For the sources: the JSON credentials document of the container endpoint
 * and IMDS ({"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, a
 * "Code" other than "Success" refused) into *out; `source` names the sender
 * in messages and becomes out->source. VP_ERR_AUTH for anything else.
 */
VP_NODISCARD vp_code vp_aws_credentials_parse_json(const char *body, size_t len, const char *source,
						   struct vp_aws_credentials *out,
						   struct vp_error *err);

/*
 * For the sources: a token file (web identity, container authorization)
 * read whole, trailing line breaks and spaces dropped, at most 64 KiB.
 * `what` names it in messages. *out is the caller's: vp_aws_secret_free().
 * VP_ERR_AUTH when it is missing, unreadable, empty or binary.
 */
VP_NODISCARD vp_code vp_aws_credentials_read_token(const char *path, const char *what, char **out,
						   struct vp_error *err);

#endif
