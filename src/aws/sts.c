/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aws/client.h"
#include "aws/xml.h"
#include "core/clock.h"

void vp_aws_caller_identity_free(struct vp_aws_caller_identity *id)
{
	if (!id)
		return;
	free(id->account);
	free(id->arn);
	free(id->user_id);
	free(id);
}

void vp_aws_assumed_role_free(struct vp_aws_assumed_role *r)
{
	if (!r)
		return;
	vp_aws_credentials_cleanup(&r->credentials);
	free(r->assumed_role_id);
	free(r->arn);
	free(r);
}

/* The <OpResult> element under the root, or an error. */
static vp_code result_of(xmlDoc *doc, const char *result, xmlNode **out, struct vp_error *err)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *r = vp_aws_xml_child(root, result);

	if (!r)
		return vp_fail(err, VP_ERR_INVALID, "response has no <%s> under <%s>", result,
			       root ? (const char *)root->name : "");
	*out = r;
	return VP_OK;
}

vp_code vp_aws_sts_parse_caller_identity(const char *body, size_t len,
					 struct vp_aws_caller_identity **out, struct vp_error *err)
{
	struct vp_aws_caller_identity *id = NULL;
	xmlDoc *doc = NULL;
	xmlNode *r = NULL;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc == VP_OK)
		rc = result_of(doc, "GetCallerIdentityResult", &r, err);
	if (rc == VP_OK && !(id = calloc(1, sizeof(*id))))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = vp_aws_xml_text(r, "Account", true, &id->account, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(r, "Arn", true, &id->arn, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(r, "UserId", true, &id->user_id, err);
	xmlFreeDoc(doc);
	if (rc != VP_OK) {
		vp_aws_caller_identity_free(id);
		return rc;
	}
	*out = id;
	return VP_OK;
}

vp_code vp_aws_sts_parse_assume_role(const char *body, size_t len, struct vp_aws_assumed_role **out,
				     struct vp_error *err)
{
	struct vp_aws_assumed_role *r = NULL;
	char *akid = NULL, *secret = NULL, *token = NULL, *expiration = NULL;
	xmlDoc *doc = NULL;
	xmlNode *root, *creds = NULL, *user = NULL;
	int64_t exp = 0;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc == VP_OK) {
		root = xmlDocGetRootElement(doc);
		xmlNode *result = vp_aws_xml_child(root, "AssumeRoleResult");
		if (!result)
			result = vp_aws_xml_child(root, "AssumeRoleWithWebIdentityResult");
		creds = vp_aws_xml_child(result, "Credentials");
		user = vp_aws_xml_child(result, "AssumedRoleUser");
		if (!creds)
			rc = vp_fail(err, VP_ERR_INVALID,
				     "AssumeRole response has no <Credentials>");
	}
	if (rc == VP_OK && !(r = calloc(1, sizeof(*r))))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = vp_aws_xml_text(creds, "AccessKeyId", true, &akid, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(creds, "SecretAccessKey", true, &secret, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(creds, "SessionToken", true, &token, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(creds, "Expiration", true, &expiration, err);
	if (rc == VP_OK)
		rc = vp_clock_parse_iso8601(expiration, &exp, err);
	if (rc == VP_OK)
		rc = vp_aws_credentials_set(&r->credentials, akid, secret, token, (time_t)exp,
					    "assume-role", err);
	if (rc == VP_OK && user)
		rc = vp_aws_xml_text(user, "AssumedRoleId", false, &r->assumed_role_id, err);
	if (rc == VP_OK && user)
		rc = vp_aws_xml_text(user, "Arn", false, &r->arn, err);
	vp_aws_secret_free(akid);
	vp_aws_secret_free(secret);
	vp_aws_secret_free(token);
	free(expiration);
	if (doc) {
		/* the document holds the secret key and token: wipe their text nodes */
		for (xmlNode *n = creds ? creds->children : NULL; n; n = n->next)
			if (n->children && n->children->content)
				OPENSSL_cleanse(n->children->content,
						strlen((const char *)n->children->content));
		xmlFreeDoc(doc);
	}
	if (rc != VP_OK) {
		vp_aws_assumed_role_free(r);
		return rc;
	}
	*out = r;
	return VP_OK;
}

static vp_code parse_identity(const char *body, size_t len, void *out, struct vp_error *err)
{
	return vp_aws_sts_parse_caller_identity(body, len, out, err);
}

static vp_code parse_assumed(const char *body, size_t len, void *out, struct vp_error *err)
{
	return vp_aws_sts_parse_assume_role(body, len, out, err);
}

vp_code vp_aws_sts_get_caller_identity(struct vp_aws_client *c, struct vp_aws_caller_identity **out,
				       struct vp_aws_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	vp_aws_params_init(&p, VP_AWS_STS, "GetCallerIdentity");
	rc = vp_aws_client_call_parse(c, VP_AWS_STS, "GetCallerIdentity", &p, parse_identity, out,
				      err);
	vp_aws_params_cleanup(&p);
	return rc;
}

vp_code vp_aws_sts_assume_role(struct vp_aws_client *c, const struct vp_aws_assume_role_input *in,
			       struct vp_aws_assumed_role **out, struct vp_aws_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	if (!in->role_arn || !in->session_name)
		return vp_aws_error_fail(
			err, VP_ERR_INVALID,
			"sts AssumeRole: a role ARN and a session name are needed");
	vp_aws_params_init(&p, VP_AWS_STS, "AssumeRole");
	vp_aws_params_add(&p, "RoleArn", in->role_arn);
	vp_aws_params_add(&p, "RoleSessionName", in->session_name);
	if (in->external_id)
		vp_aws_params_add(&p, "ExternalId", in->external_id);
	if (in->policy)
		vp_aws_params_add(&p, "Policy", in->policy);
	if (in->duration_seconds > 0) {
		char d[16];
		snprintf(d, sizeof(d), "%d", in->duration_seconds);
		vp_aws_params_add(&p, "DurationSeconds", d);
	}
	rc = vp_aws_client_call_parse(c, VP_AWS_STS, "AssumeRole", &p, parse_assumed, out, err);
	vp_aws_params_cleanup(&p);
	return rc;
}

vp_code vp_aws_sts_assume_role_with_web_identity(struct vp_aws_client *c, const char *role_arn,
						 const char *session_name, const char *token,
						 int duration_seconds,
						 struct vp_aws_assumed_role **out,
						 struct vp_aws_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	vp_aws_params_init(&p, VP_AWS_STS, "AssumeRoleWithWebIdentity");
	vp_aws_params_add(&p, "RoleArn", role_arn);
	vp_aws_params_add(&p, "RoleSessionName", session_name);
	vp_aws_params_add(&p, "WebIdentityToken", token);
	if (duration_seconds > 0) {
		char d[16];
		snprintf(d, sizeof(d), "%d", duration_seconds);
		vp_aws_params_add(&p, "DurationSeconds", d);
	}
	rc = vp_aws_client_call_parse(c, VP_AWS_STS, "AssumeRoleWithWebIdentity", &p, parse_assumed,
				      out, err);
	if (p.body.data)
		OPENSSL_cleanse(p.body.data, p.body.len); /* the token */
	vp_aws_params_cleanup(&p);
	return rc;
}

vp_code vp_aws_sts_sign_get_caller_identity(struct vp_aws_client *c,
					    const struct vp_aws_header *extra, size_t extra_count,
					    struct vp_aws_signed_request **out,
					    struct vp_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	vp_aws_params_init(&p, VP_AWS_STS, "GetCallerIdentity");
	rc = vp_aws_client_sign(c, VP_AWS_STS, &p, extra, extra_count, out, err);
	vp_aws_params_cleanup(&p);
	return rc;
}
