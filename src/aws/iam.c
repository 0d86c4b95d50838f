/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/iam.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aws/client.h"
#include "aws/xml.h"

#define POLICY_MAX 131072

void vp_aws_iam_role_free(struct vp_aws_iam_role *r)
{
	if (!r)
		return;
	free(r->role_name);
	free(r->role_id);
	free(r->arn);
	free(r->path);
	free(r->create_date);
	free(r->assume_role_policy_document);
	free(r->description);
	free(r);
}

/* Percent-decode with libcurl ('+' is kept). */
static vp_code url_decode(char **text, struct vp_error *err)
{
	int n = 0;
	char *d = curl_easy_unescape(NULL, *text, (int)strlen(*text), &n);
	char *copy;

	if (!d)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory decoding a policy");
	if (memchr(d, '\0', (size_t)n)) {
		curl_free(d);
		return vp_fail(err, VP_ERR_INVALID, "the trust policy decodes to a NUL byte");
	}
	copy = strdup(d);
	curl_free(d);
	if (!copy)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory decoding a policy");
	free(*text);
	*text = copy;
	return VP_OK;
}

vp_code vp_aws_iam_parse_get_role(const char *body, size_t len, struct vp_aws_iam_role **out,
				  struct vp_error *err)
{
	struct vp_aws_iam_role *r = NULL;
	xmlDoc *doc = NULL;
	xmlNode *role = NULL;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc == VP_OK) {
		role = vp_aws_xml_path(xmlDocGetRootElement(doc), "GetRoleResult/Role");
		if (!role)
			rc = vp_fail(err, VP_ERR_INVALID,
				     "GetRole response has no <GetRoleResult><Role>");
	}
	if (rc == VP_OK && !(r = calloc(1, sizeof(*r))))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = vp_aws_xml_text(role, "RoleName", true, &r->role_name, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(role, "RoleId", true, &r->role_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(role, "Arn", true, &r->arn, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(role, "Path", false, &r->path, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(role, "CreateDate", false, &r->create_date, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(role, "Description", false, &r->description, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_int(role, "MaxSessionDuration", 0, 43200, 0,
				    &r->max_session_duration, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(role, "AssumeRolePolicyDocument", false,
				     &r->assume_role_policy_document, err);
	if (rc == VP_OK && r->assume_role_policy_document)
		rc = url_decode(&r->assume_role_policy_document, err);
	xmlFreeDoc(doc);
	if (rc != VP_OK) {
		vp_aws_iam_role_free(r);
		return rc;
	}
	*out = r;
	return VP_OK;
}

static vp_code parse_role(const char *body, size_t len, void *out, struct vp_error *err)
{
	return vp_aws_iam_parse_get_role(body, len, out, err);
}

vp_code vp_aws_iam_get_role(struct vp_aws_client *c, const char *role_name,
			    struct vp_aws_iam_role **out, struct vp_aws_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	if (!role_name || !role_name[0] || strlen(role_name) > 64)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "iam GetRole: a role name of 1 to 64 "
					 "characters is needed");
	vp_aws_params_init(&p, VP_AWS_IAM, "GetRole");
	vp_aws_params_add(&p, "RoleName", role_name);
	rc = vp_aws_client_call_parse(c, VP_AWS_IAM, "GetRole", &p, parse_role, out, err);
	vp_aws_params_cleanup(&p);
	return rc;
}

vp_code vp_aws_iam_update_assume_role_policy(struct vp_aws_client *c, const char *role_name,
					     const char *policy, struct vp_aws_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	if (!role_name || !role_name[0] || strlen(role_name) > 64)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "iam UpdateAssumeRolePolicy: a role name "
					 "of 1 to 64 characters is needed");
	if (!policy || !policy[0] || strlen(policy) > POLICY_MAX)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "iam UpdateAssumeRolePolicy: the policy "
					 "must have 1 to %d characters",
					 POLICY_MAX);
	vp_aws_params_init(&p, VP_AWS_IAM, "UpdateAssumeRolePolicy");
	vp_aws_params_add(&p, "RoleName", role_name);
	vp_aws_params_add(&p, "PolicyDocument", policy);
	rc = vp_aws_client_call_parse(c, VP_AWS_IAM, "UpdateAssumeRolePolicy", &p, NULL, NULL, err);
	vp_aws_params_cleanup(&p);
	return rc;
}
