/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/assume_role.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/sts.h"

struct role {
	struct vp_aws_client *sts;
	char *role_arn, *session_name, *external_id, *token_file;
	int duration;
};

static void role_free(void *state)
{
	struct role *r = state;

	if (!r)
		return;
	vp_aws_client_free(r->sts);
	free(r->role_arn);
	free(r->session_name);
	free(r->external_id);
	free(r->token_file);
	free(r);
}

static vp_code from_assumed(struct vp_aws_assumed_role *r, const char *source,
			    struct vp_aws_credentials *out, struct vp_error *err)
{
	const struct vp_aws_credentials *c = &r->credentials;
	vp_code rc = vp_aws_credentials_set(out, c->access_key_id, c->secret_access_key,
					    c->session_token, c->expiration, source, err);

	vp_aws_assumed_role_free(r);
	return rc;
}

static vp_code fetch_assume_role(void *state, time_t now, struct vp_aws_credentials *out,
				 struct vp_error *err)
{
	struct role *p = state;
	struct vp_aws_assume_role_input in = {.role_arn = p->role_arn,
					      .session_name = p->session_name,
					      .external_id = p->external_id,
					      .duration_seconds = p->duration};
	struct vp_aws_assumed_role *r = NULL;
	struct vp_aws_error aerr;

	(void)now;
	vp_aws_error_clear(&aerr);
	if (vp_aws_sts_assume_role(p->sts, &in, &r, &aerr) != VP_OK) {
		vp_fail(err, VP_ERR_AUTH, "assuming %s: %s", p->role_arn, aerr.error.message);
		return VP_ERR_AUTH;
	}
	return from_assumed(r, "assume-role", out, err);
}

static vp_code fetch_web_identity(void *state, time_t now, struct vp_aws_credentials *out,
				  struct vp_error *err)
{
	struct role *p = state;
	struct vp_aws_assumed_role *r = NULL;
	struct vp_aws_error aerr;
	char *token = NULL;
	vp_code rc = vp_aws_credentials_read_token(p->token_file, "web identity token file", &token,
						   err);

	(void)now;
	if (rc != VP_OK)
		return rc;
	vp_aws_error_clear(&aerr);
	rc = vp_aws_sts_assume_role_with_web_identity(p->sts, p->role_arn, p->session_name, token,
						      p->duration, &r, &aerr);
	vp_aws_secret_free(token);
	if (rc != VP_OK) {
		vp_fail(err, VP_ERR_AUTH, "web identity for %s: %s", p->role_arn,
			aerr.error.message);
		return VP_ERR_AUTH;
	}
	return from_assumed(r, "web-identity", out, err);
}

static const struct vp_aws_credentials_source assume_role_source = {fetch_assume_role, role_free};
static const struct vp_aws_credentials_source web_identity_source = {fetch_web_identity, role_free};

static char *session_name(const char *given)
{
	char buf[64];
	if (given)
		return strdup(given);
	snprintf(buf, sizeof(buf), "vpcpeer-%lld", (long long)time(NULL));
	return strdup(buf);
}

/* Either kind: the provider owns sts from here on. */
static vp_code role_provider_new(const struct vp_aws_credentials_source *source, const char *name,
				 struct vp_aws_client *sts, const char *role_arn,
				 const char *session, const char *external_id,
				 const char *token_file, int duration_seconds,
				 const struct vp_aws_chain_options *o,
				 struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	struct role *r = calloc(1, sizeof(*r));

	if (!r) {
		vp_aws_client_free(sts);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	r->sts = sts;
	r->role_arn = strdup(role_arn);
	r->session_name = session_name(session);
	r->external_id = external_id ? strdup(external_id) : NULL;
	r->token_file = token_file ? strdup(token_file) : NULL;
	r->duration = duration_seconds;
	if (!r->role_arn || !r->session_name || (external_id && !r->external_id) ||
	    (token_file && !r->token_file)) {
		role_free(r);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	return vp_aws_credentials_provider_new(source, r, name, o, out, err);
}

vp_code vp_aws_assume_role_provider_new(struct vp_aws_client *sts, const char *role_arn,
					const char *session, const char *external_id,
					int duration_seconds, const struct vp_aws_chain_options *o,
					struct vp_aws_credentials_provider **out,
					struct vp_error *err)
{
	return role_provider_new(&assume_role_source, "assume-role", sts, role_arn, session,
				 external_id, NULL, duration_seconds, o, out, err);
}

vp_code vp_aws_web_identity_provider_new(struct vp_aws_client *sts, const char *token_file,
					 const char *role_arn, const char *session,
					 const struct vp_aws_chain_options *o,
					 struct vp_aws_credentials_provider **out,
					 struct vp_error *err)
{
	return role_provider_new(&web_identity_source, "web-identity", sts, role_arn, session, NULL,
				 token_file, 0, o, out, err);
}
