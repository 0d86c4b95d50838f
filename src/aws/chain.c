/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/chain.h"

#include <stdlib.h>
#include <string.h>

#include "aws/assume_role.h"
#include "aws/config.h"
#include "aws/container.h"
#include "aws/credentials_process.h"
#include "aws/imds.h"
#include "core/clock.h"
#include "core/num.h"

#define MAX_ROLE_CHAIN 8

struct chain {
	const struct vp_aws_chain_options *o;
	const struct vp_aws_config *cfg;
};

static vp_code env_provider(const struct vp_aws_chain_options *o,
			    struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	const char *token = vp_aws_env("AWS_SESSION_TOKEN") ? vp_aws_env("AWS_SESSION_TOKEN")
							    : vp_aws_env("AWS_SECURITY_TOKEN");
	const char *exp_text = vp_aws_env("AWS_CREDENTIAL_EXPIRATION");
	int64_t exp = 0;
	vp_code rc;

	if (exp_text && (rc = vp_clock_parse_iso8601(exp_text, &exp, err)) != VP_OK) {
		vp_error_prefix(err, "AWS_CREDENTIAL_EXPIRATION");
		return rc;
	}
	return vp_aws_credentials_provider_new_fixed("environment", vp_aws_env("AWS_ACCESS_KEY_ID"),
						     vp_aws_env("AWS_SECRET_ACCESS_KEY"), token,
						     (time_t)exp, o, out, err);
}

/* The client a role or web identity provider calls STS with (it takes a reference to source). */
static vp_code sts_client(const struct chain *c, struct vp_aws_credentials_provider *source,
			  bool anonymous, struct vp_aws_client **out, struct vp_error *err)
{
	struct vp_aws_client_config cc = {
		.region = c->o->region,
		.endpoint_url = c->o->sts_endpoint_url,
		.credentials = source,
		.anonymous = anonymous,
		.retry_base_delay = c->o->retry_base_delay,
		.clock = c->o->clock,
		.clock_ctx = c->o->clock_ctx,
		.shared_config = c->cfg,
		.profile = c->o->profile,
	};
	return vp_aws_client_new(&cc, out, err);
}

static vp_code web_identity_provider(const struct chain *c, const char *token_file,
				     const char *role_arn, const char *session,
				     struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	struct vp_aws_client *sts = NULL;
	vp_code rc = sts_client(c, NULL, true, &sts, err);

	if (rc != VP_OK)
		return rc;
	return vp_aws_web_identity_provider_new(sts, token_file, role_arn, session, c->o, out, err);
}

static vp_code profile_keys_provider(const struct chain *c, const char *profile,
				     enum vp_aws_config_file which, bool *found,
				     struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	const char *akid = vp_aws_config_file_value(c->cfg, which, profile, "aws_access_key_id");
	const char *secret =
		vp_aws_config_file_value(c->cfg, which, profile, "aws_secret_access_key");
	const char *token = vp_aws_config_file_value(c->cfg, which, profile, "aws_session_token");
	const char *name =
		which == VP_AWS_CREDENTIALS_FILE ? "shared-credentials-file" : "config-file";

	*found = akid != NULL;
	if (!akid)
		return VP_OK;
	if (!secret)
		return vp_fail(err, VP_ERR_AUTH,
			       "profile '%s' in the %s has aws_access_key_id but no "
			       "aws_secret_access_key",
			       profile, name);
	return vp_aws_credentials_provider_new_fixed(name, akid, secret, token, 0, c->o, out, err);
}

static vp_code role_provider(const struct chain *c, const char *profile, int depth,
			     struct vp_aws_credentials_provider **out, struct vp_error *err);

/*
 * IAM Identity Center profiles need the SSO token cache that `aws sso login` fills, which
 * vpcpeer does not read: refused by name, rather than falling through to instance metadata
 * and silently running as another identity.
 */
static vp_code refuse_sso(const struct chain *c, const char *profile, struct vp_error *err)
{
	static const char *const keys[] = {"sso_session", "sso_start_url", "sso_account_id",
					   "sso_role_name", NULL};

	for (size_t i = 0; keys[i]; i++)
		if (vp_aws_config_value(c->cfg, profile, keys[i]))
			return vp_fail(
				err, VP_ERR_AUTH,
				"profile '%s' uses IAM Identity Center (%s), which vpcpeer "
				"does not support: give it credential_process = aws configure "
				"export-credentials --profile %s --format process (after aws "
				"sso login), or use keys or a role",
				profile, keys[i], profile);
	return VP_OK;
}

/* The credentials a role's source_profile stands for. */
static vp_code source_profile_provider(const struct chain *c, const char *profile,
				       const char *referrer, int depth,
				       struct vp_aws_credentials_provider **out,
				       struct vp_error *err)
{
	bool found = false;
	vp_code rc;

	if (!vp_aws_config_has_profile(c->cfg, profile))
		return vp_fail(err, VP_ERR_NOT_FOUND,
			       "profile '%s' names source_profile '%s', which does not exist",
			       referrer, profile);
	/* A profile that is its own source uses its keys, not its role. */
	if (strcmp(profile, referrer) != 0 && vp_aws_config_value(c->cfg, profile, "role_arn"))
		return role_provider(c, profile, depth + 1, out, err);
	rc = profile_keys_provider(c, profile, VP_AWS_CREDENTIALS_FILE, &found, out, err);
	if (rc == VP_OK && !found)
		rc = profile_keys_provider(c, profile, VP_AWS_CONFIG_FILE, &found, out, err);
	if (rc == VP_OK && !found && (rc = refuse_sso(c, profile, err)) != VP_OK)
		return rc;
	if (rc == VP_OK && !found && vp_aws_config_value(c->cfg, profile, "credential_process"))
		return vp_aws_process_provider_new(
			profile, vp_aws_config_value(c->cfg, profile, "credential_process"), c->o,
			out, err);
	if (rc == VP_OK && !found) {
		const char *wit = vp_aws_config_value(c->cfg, profile, "web_identity_token_file");
		const char *arn = vp_aws_config_value(c->cfg, profile, "role_arn");
		if (wit && arn)
			return web_identity_provider(
				c, wit, arn,
				vp_aws_config_value(c->cfg, profile, "role_session_name"), out,
				err);
		rc = vp_fail(err, VP_ERR_AUTH, "source_profile '%s' has no credentials", profile);
	}
	return rc;
}

static vp_code role_provider(const struct chain *c, const char *profile, int depth,
			     struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	const char *role_arn = vp_aws_config_value(c->cfg, profile, "role_arn");
	const char *source_profile = vp_aws_config_value(c->cfg, profile, "source_profile");
	const char *credential_source = vp_aws_config_value(c->cfg, profile, "credential_source");
	const char *duration = vp_aws_config_value(c->cfg, profile, "duration_seconds");
	struct vp_aws_credentials_provider *source = NULL;
	struct vp_aws_client *sts = NULL;
	struct chain sub = *c;
	struct vp_aws_chain_options so;
	int64_t seconds = 0;
	vp_code rc;

	if (depth > MAX_ROLE_CHAIN)
		return vp_fail(err, VP_ERR_INVALID,
			       "profile '%s': source_profile chain is longer than %d (a loop?)",
			       profile, MAX_ROLE_CHAIN);
	if (source_profile && credential_source)
		return vp_fail(err, VP_ERR_INVALID,
			       "profile '%s' has both source_profile and credential_source",
			       profile);
	if (duration &&
	    vp_parse_int64(duration, 900, 43200, "duration_seconds", &seconds, err) != VP_OK) {
		vp_error_prefix(err, "profile '%s'", profile);
		return VP_ERR_INVALID;
	}
	so = *c->o;
	sub.o = &so;
	if (source_profile) {
		rc = source_profile_provider(&sub, source_profile, profile, depth, &source, err);
	} else if (strcmp(credential_source, "Environment") == 0) {
		rc = vp_aws_env("AWS_ACCESS_KEY_ID") ? env_provider(c->o, &source, err)
						     : vp_fail(err, VP_ERR_AUTH,
							       "credential_source Environment: "
							       "AWS_ACCESS_KEY_ID is not set");
	} else if (strcmp(credential_source, "Ec2InstanceMetadata") == 0) {
		rc = vp_aws_imds_provider_new(c->cfg, profile, c->o, &source, err);
	} else if (strcmp(credential_source, "EcsContainer") == 0) {
		rc = vp_aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
				     vp_aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
			     ? vp_aws_container_provider_new(c->o, &source, err)
			     : vp_fail(err, VP_ERR_AUTH,
				       "credential_source EcsContainer: no container "
				       "credentials variables are set");
	} else {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "profile '%s': credential_source '%s' is not Environment, "
			     "Ec2InstanceMetadata or EcsContainer",
			     profile, credential_source);
	}
	if (rc != VP_OK)
		return rc;
	rc = sts_client(c, source, false, &sts, err);
	vp_aws_credentials_provider_free(source); /* the STS client holds its own reference */
	if (rc != VP_OK)
		return rc;
	return vp_aws_assume_role_provider_new(
		sts, role_arn, vp_aws_config_value(c->cfg, profile, "role_session_name"),
		vp_aws_config_value(c->cfg, profile, "external_id"), (int)seconds, c->o, out, err);
}

vp_code vp_aws_credentials_provider_new_chain(const struct vp_aws_chain_options *opts,
					      struct vp_aws_credentials_provider **out,
					      struct vp_error *err)
{
	static const struct vp_aws_chain_options none;
	struct vp_aws_config *loaded = NULL;
	struct vp_aws_chain_options o = opts ? *opts : none;
	struct chain c = {.o = &o, .cfg = o.config};
	const char *profile = o.profile;
	bool explicit_profile = profile != NULL, found = false;
	vp_code rc = VP_OK;

	if (!profile)
		profile = vp_aws_env("AWS_PROFILE") ? vp_aws_env("AWS_PROFILE")
						    : vp_aws_env("AWS_DEFAULT_PROFILE");
	if (!c.cfg) {
		rc = vp_aws_config_load(NULL, NULL, &loaded, err);
		if (rc != VP_OK)
			return rc;
		c.cfg = loaded;
	}
	if (profile && !vp_aws_config_has_profile(c.cfg, profile) &&
	    strcmp(profile, "default") != 0) {
		rc = vp_fail(
			err, VP_ERR_NOT_FOUND,
			"profile '%s' is in neither the AWS config file nor the credentials file",
			profile);
		goto done;
	}
	if (!profile)
		profile = "default";
	o.profile = profile;

	/* 1. environment (unless a profile was named explicitly) */
	if (!explicit_profile && vp_aws_env("AWS_ACCESS_KEY_ID") &&
	    vp_aws_env("AWS_SECRET_ACCESS_KEY")) {
		rc = env_provider(&o, out, err);
		goto done;
	}
	/* 2. the profile's role */
	if (vp_aws_config_value(c.cfg, profile, "role_arn") &&
	    (vp_aws_config_value(c.cfg, profile, "source_profile") ||
	     vp_aws_config_value(c.cfg, profile, "credential_source"))) {
		rc = role_provider(&c, profile, 0, out, err);
		goto done;
	}
	/* 3. web identity: the environment, then the profile */
	if (vp_aws_env("AWS_WEB_IDENTITY_TOKEN_FILE") && vp_aws_env("AWS_ROLE_ARN")) {
		rc = web_identity_provider(&c, vp_aws_env("AWS_WEB_IDENTITY_TOKEN_FILE"),
					   vp_aws_env("AWS_ROLE_ARN"),
					   vp_aws_env("AWS_ROLE_SESSION_NAME"), out, err);
		goto done;
	}
	if (vp_aws_config_value(c.cfg, profile, "web_identity_token_file") &&
	    vp_aws_config_value(c.cfg, profile, "role_arn")) {
		rc = web_identity_provider(
			&c, vp_aws_config_value(c.cfg, profile, "web_identity_token_file"),
			vp_aws_config_value(c.cfg, profile, "role_arn"),
			vp_aws_config_value(c.cfg, profile, "role_session_name"), out, err);
		goto done;
	}
	/* 4. IAM Identity Center: refused by name */
	if ((rc = refuse_sso(&c, profile, err)) != VP_OK)
		goto done;
	/* 5, 6, 7. the shared credentials file, credential_process, the config file (botocore's
	 * order) */
	rc = profile_keys_provider(&c, profile, VP_AWS_CREDENTIALS_FILE, &found, out, err);
	if (rc != VP_OK || found)
		goto done;
	if (vp_aws_config_value(c.cfg, profile, "credential_process")) {
		rc = vp_aws_process_provider_new(
			profile, vp_aws_config_value(c.cfg, profile, "credential_process"), &o, out,
			err);
		goto done;
	}
	rc = profile_keys_provider(&c, profile, VP_AWS_CONFIG_FILE, &found, out, err);
	if (rc != VP_OK || found)
		goto done;
	/* 8. the container endpoint */
	if (vp_aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
	    vp_aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
		rc = vp_aws_container_provider_new(&o, out, err);
		goto done;
	}
	/* 9. instance metadata */
	if (!vp_aws_env_true("AWS_EC2_METADATA_DISABLED")) {
		rc = vp_aws_imds_provider_new(c.cfg, profile, &o, out, err);
		goto done;
	}
	rc = vp_fail(err, VP_ERR_AUTH,
		     "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give "
		     "profile '%s' keys or a role in ~/.aws/credentials or ~/.aws/config",
		     profile);
done:
	vp_aws_config_free(loaded);
	return rc;
}

vp_code vp_aws_client_new_default(const struct vp_aws_client_config *cfg,
				  struct vp_aws_client **out, struct vp_error *err)
{
	struct vp_aws_client_config cc = *cfg;
	struct vp_aws_config *loaded = NULL;
	struct vp_aws_credentials_provider *chain = NULL;
	struct vp_aws_chain_options o = cfg->chain;
	const struct vp_aws_endpoint *sts;
	struct vp_aws_client *c = NULL;
	vp_code rc;

	if (cfg->credentials || cfg->anonymous)
		return vp_aws_client_new(cfg, out, err);
	/* The client and the chain read the same files, loaded once. */
	if (!cc.shared_config) {
		rc = vp_aws_config_load(cfg->config_file, cfg->credentials_file, &loaded, err);
		if (rc != VP_OK)
			return rc;
		cc.shared_config = loaded;
	}
	rc = vp_aws_client_new(&cc, &c, err);
	if (rc != VP_OK)
		goto done;
	/* The chain's STS calls go where the client's would: its region, its custom endpoint. */
	o.profile = cfg->profile;
	o.region = vp_aws_client_region(c);
	o.config = cc.shared_config;
	if (!o.clock) {
		o.clock = cfg->clock;
		o.clock_ctx = cfg->clock_ctx;
	}
	sts = vp_aws_client_endpoint(c, VP_AWS_STS);
	if (!o.sts_endpoint_url && sts && sts->custom)
		o.sts_endpoint_url = sts->url;
	if (o.retry_base_delay <= 0)
		o.retry_base_delay = cfg->retry_base_delay;
	rc = vp_aws_credentials_provider_new_chain(&o, &chain, err);
	if (rc != VP_OK) {
		vp_aws_client_free(c);
		goto done;
	}
	vp_aws_client_set_credentials(c, chain);
	vp_aws_credentials_provider_free(chain); /* the client holds its own reference */
	*out = c;
done:
	vp_aws_config_free(loaded);
	return rc;
}
