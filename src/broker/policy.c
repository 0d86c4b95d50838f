/* SPDX-License-Identifier: Apache-2.0 */
#include "broker/policy.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vp_trust_policy {
	json_t *doc; /* owned */
};

/*
 * The account a principal names: "123456789012" or "arn:<partition>:iam::123456789012:root".
 * Writes the id to out and returns true; false for any other principal (a role ARN, "*").
 */
static bool principal_account(const char *principal, char out[VP_IDS_ACCOUNT_LEN + 1])
{
	const char *id = principal;
	const char *colons;

	if (strncmp(principal, "arn:", 4) == 0) {
		/* arn:PARTITION:iam::ID:root */
		colons = strchr(principal + 4, ':');
		if (!colons || strncmp(colons, ":iam::", 6) != 0)
			return false;
		id = colons + 6;
		if (strlen(id) != VP_IDS_ACCOUNT_LEN + 5 ||
		    strcmp(id + VP_IDS_ACCOUNT_LEN, ":root") != 0)
			return false;
	} else if (strlen(id) != VP_IDS_ACCOUNT_LEN) {
		return false;
	}
	for (int i = 0; i < VP_IDS_ACCOUNT_LEN; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	memcpy(out, id, VP_IDS_ACCOUNT_LEN);
	out[VP_IDS_ACCOUNT_LEN] = '\0';
	return true;
}

/* The broker's statement, or NULL. Statement may be one object or an array. */
static json_t *broker_statement(json_t *doc)
{
	json_t *statements = json_object_get(doc, "Statement");
	json_t *item;
	size_t i;

	if (json_is_object(statements)) {
		const char *sid = json_string_value(json_object_get(statements, "Sid"));
		return sid && strcmp(sid, VP_POLICY_SID) == 0 ? statements : NULL;
	}
	json_array_foreach(statements, i, item)
	{
		const char *sid = json_string_value(json_object_get(item, "Sid"));
		if (sid && strcmp(sid, VP_POLICY_SID) == 0)
			return item;
	}
	return NULL;
}

/* Principal.AWS of the broker's statement: a string or an array of strings. */
static json_t *broker_principals(json_t *statement)
{
	return json_object_get(json_object_get(statement, "Principal"), "AWS");
}

static vp_code check_shape(json_t *doc, struct vp_error *err)
{
	json_t *statements = json_object_get(doc, "Statement");
	json_t *ours, *principals, *entry;
	size_t i;

	if (!json_is_object(statements) && !json_is_array(statements))
		return vp_fail(err, VP_ERR_INVALID,
			       "trust policy has no Statement (an object or an array)");
	if (json_is_array(statements)) {
		size_t ours_count = 0;
		json_array_foreach(statements, i, entry)
		{
			const char *sid = json_string_value(json_object_get(entry, "Sid"));
			if (sid && strcmp(sid, VP_POLICY_SID) == 0)
				ours_count++;
		}
		/* IAM wants Sids unique within a policy; two would make "the broker's" ambiguous.
		 */
		if (ours_count > 1)
			return vp_fail(
				err, VP_ERR_INVALID,
				"trust policy has %zu statements with Sid %s; merge them into "
				"one by hand",
				ours_count, VP_POLICY_SID);
	}
	ours = broker_statement(doc);
	if (!ours)
		return VP_OK;
	principals = broker_principals(ours);
	if (json_is_string(principals))
		return VP_OK;
	if (!json_is_array(principals))
		return vp_fail(
			err, VP_ERR_INVALID,
			"trust policy statement %s has no Principal.AWS; fix the role's trust "
			"policy by hand or remove that statement",
			VP_POLICY_SID);
	json_array_foreach(principals, i, entry)
	{
		if (!json_is_string(entry))
			return vp_fail(
				err, VP_ERR_INVALID,
				"trust policy statement %s has a Principal.AWS entry that is "
				"not a string",
				VP_POLICY_SID);
	}
	return VP_OK;
}

vp_code vp_policy_parse(const char *text, size_t len, struct vp_trust_policy **out,
			struct vp_error *err)
{
	struct vp_trust_policy *policy;
	json_error_t jerr;
	json_t *doc;
	vp_code rc;

	if (len > VP_POLICY_MAX_BYTES)
		return vp_fail(err, VP_ERR_INVALID, "trust policy is %zu bytes, more than %d", len,
			       VP_POLICY_MAX_BYTES);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return vp_fail(err, VP_ERR_INVALID, "trust policy is not valid JSON: %s (line %d)",
			       jerr.text, jerr.line);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return vp_fail(err, VP_ERR_INVALID, "trust policy is not a JSON object");
	}
	rc = check_shape(doc, err);
	if (rc != VP_OK) {
		json_decref(doc);
		return rc;
	}
	policy = malloc(sizeof(*policy));
	if (!policy) {
		json_decref(doc);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory parsing a trust policy");
	}
	policy->doc = doc;
	*out = policy;
	return VP_OK;
}

void vp_policy_free(struct vp_trust_policy *policy)
{
	if (!policy)
		return;
	json_decref(policy->doc);
	free(policy);
}

/* aws, aws-cn, aws-us-gov, ...: lower-case letters and dashes. */
static bool partition_valid(const char *partition)
{
	size_t len = strlen(partition);

	if (len == 0 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((partition[i] >= 'a' && partition[i] <= 'z') || partition[i] == '-'))
			return false;
	return true;
}

/* Index of the account in the principals array, or -1. */
static long find_account(json_t *principals, const char *account)
{
	char id[VP_IDS_ACCOUNT_LEN + 1];
	json_t *entry;
	size_t i;

	json_array_foreach(principals, i, entry)
	{
		const char *s = json_string_value(entry);
		if (s && principal_account(s, id) && strcmp(id, account) == 0)
			return (long)i;
	}
	return -1;
}

/* Make obj's member `key` an array holding what it held (IAM may hand back a single value). */
static json_t *member_as_array(json_t *obj, const char *key)
{
	json_t *member = json_object_get(obj, key);
	json_t *array;

	if (json_is_array(member))
		return member;
	array = json_array();
	if (!array || json_array_append(array, member) != 0 ||
	    json_object_set_new(obj, key, array) != 0)
		return NULL;
	return array;
}

/* Make Principal.AWS of our statement an array. */
static json_t *principals_as_array(json_t *statement)
{
	return member_as_array(json_object_get(statement, "Principal"), "AWS");
}

/* Make Statement an array so a statement can be appended. */
static json_t *statements_as_array(json_t *doc)
{
	return member_as_array(doc, "Statement");
}

vp_code vp_policy_add_account(struct vp_trust_policy *policy, const char *partition,
			      const char *account, bool *changed, struct vp_error *err)
{
	json_t *ours, *principals;
	char arn[96];

	if (!vp_ids_account_valid(account))
		return vp_fail(err, VP_ERR_INVALID, "'%s' is not an AWS account id (12 digits)",
			       account);
	if (!partition_valid(partition))
		return vp_fail(err, VP_ERR_INVALID, "'%s' is not an AWS partition name", partition);
	*changed = false;
	if (vp_policy_has_account(policy, account))
		return VP_OK;
	snprintf(arn, sizeof(arn), "arn:%s:iam::%s:root", partition, account);
	ours = broker_statement(policy->doc);
	if (!ours) {
		json_t *statements = statements_as_array(policy->doc);
		json_t *statement =
			json_pack("{ss ss s{s[s]} ss}", "Sid", VP_POLICY_SID, "Effect", "Allow",
				  "Principal", "AWS", arn, "Action", "sts:AssumeRole");
		if (!statements || !statement || json_array_append_new(statements, statement) != 0)
			return vp_fail(err, VP_ERR_NOMEM, "out of memory editing a trust policy");
		*changed = true;
		return VP_OK;
	}
	principals = principals_as_array(ours);
	if (!principals || json_array_append_new(principals, json_string(arn)) != 0)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory editing a trust policy");
	*changed = true;
	return VP_OK;
}

vp_code vp_policy_remove_account(struct vp_trust_policy *policy, const char *account, bool *changed,
				 struct vp_error *err)
{
	json_t *ours, *principals;
	long at;

	if (!vp_ids_account_valid(account))
		return vp_fail(err, VP_ERR_INVALID, "'%s' is not an AWS account id (12 digits)",
			       account);
	*changed = false;
	if (!vp_policy_has_account(policy, account))
		return VP_OK;
	ours = broker_statement(policy->doc);
	principals = principals_as_array(ours);
	if (!principals)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory editing a trust policy");
	while ((at = find_account(principals, account)) >= 0)
		json_array_remove(principals, (size_t)at);
	if (json_array_size(principals) == 0) {
		json_t *statements = statements_as_array(policy->doc);
		json_t *item;
		size_t i;
		if (!statements)
			return vp_fail(err, VP_ERR_NOMEM, "out of memory editing a trust policy");
		json_array_foreach(statements, i, item)
		{
			if (item == ours) {
				json_array_remove(statements, i);
				break;
			}
		}
	}
	*changed = true;
	return VP_OK;
}

bool vp_policy_has_account(const struct vp_trust_policy *policy, const char *account)
{
	json_t *principals = broker_principals(broker_statement(policy->doc));
	char id[VP_IDS_ACCOUNT_LEN + 1];

	if (json_is_string(principals))
		return principal_account(json_string_value(principals), id) &&
		       strcmp(id, account) == 0;
	return find_account(principals, account) >= 0;
}

size_t vp_policy_accounts(const struct vp_trust_policy *policy, char (*out)[VP_IDS_ACCOUNT_LEN + 1],
			  size_t max)
{
	json_t *principals = broker_principals(broker_statement(policy->doc));
	char id[VP_IDS_ACCOUNT_LEN + 1];
	size_t count = 0, i;
	json_t *entry;

	if (json_is_string(principals)) {
		if (!principal_account(json_string_value(principals), id))
			return 0;
		if (max > 0)
			memcpy(out[0], id, sizeof(id));
		return 1;
	}
	json_array_foreach(principals, i, entry)
	{
		const char *s = json_string_value(entry);
		if (!s || !principal_account(s, id))
			continue;
		if (count < max)
			memcpy(out[count], id, sizeof(id));
		count++;
	}
	return count;
}

char *vp_policy_serialize(const struct vp_trust_policy *policy)
{
	return json_dumps(policy->doc, JSON_COMPACT);
}

size_t vp_policy_quota_size(const struct vp_trust_policy *policy)
{
	char *text = vp_policy_serialize(policy);
	size_t size = 0;

	if (!text)
		return SIZE_MAX;
	for (const char *p = text; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			size++;
	free(text);
	return size;
}
