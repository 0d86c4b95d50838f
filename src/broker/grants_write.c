/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One trust-policy write and IAM's refusals of the document (grants_write.h).
 * IAM API reference, UpdateAssumeRolePolicy: LimitExceeded ("Cannot exceed
 * quota for ACLSizePerRole: N", IAM User Guide, "IAM and AWS STS quotas") and
 * MalformedPolicyDocument ("Invalid principal in policy: \"AWS\":\"...\"").
 */
#include "broker/grants_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/iam.h"
#include "broker/outcome.h"
#include "broker/policy.h"
#include "core/log.h"
#include "core/metrics.h"

size_t vp_grants_refused_quota(const char *message)
{
	const char *at = strstr(message, "ACLSizePerRole:");
	unsigned long long q;
	char *end;

	if (!at)
		return 0;
	at += strlen("ACLSizePerRole:");
	if (*at == ' ')
		at++;
	if (*at < '0' || *at > '9')
		return 0; /* strtoull would take a sign or more blanks */
	errno = 0;
	q = strtoull(at, &end, 10);
	if (errno || end == at || q == 0 || q > 1000000)
		return 0;
	return (size_t)q;
}

bool vp_grants_refused_principal(const char *message, char out[VP_IDS_ACCOUNT_LEN + 1])
{
	const char *p = strstr(message, "Invalid principal in policy");
	const char *q, *digits = NULL, *close;

	if (!p || !(q = strstr(p, "\"AWS\":\"")))
		return false;
	q += strlen("\"AWS\":\"");
	if (!(close = strchr(q, '"')))
		return false;
	if (strncmp(q, "arn:", 4) == 0) {
		const char *iam = strstr(q, ":iam::");
		if (iam && iam < close)
			digits = iam + strlen(":iam::");
	} else {
		digits = q;
	}
	/* 12 digits, then the ARN's next ':' or the closing quote */
	if (!digits || close - digits < VP_IDS_ACCOUNT_LEN ||
	    (digits[VP_IDS_ACCOUNT_LEN] != ':' && digits[VP_IDS_ACCOUNT_LEN] != '"'))
		return false;
	memcpy(out, digits, VP_IDS_ACCOUNT_LEN);
	out[VP_IDS_ACCOUNT_LEN] = '\0';
	return vp_ids_account_valid(out);
}

vp_code vp_grants_write(struct vp_aws_client *aws, struct vp_metrics *metrics, const char *role,
			struct vp_trust_policy *policy, char **text, struct vp_grants_write *out,
			struct vp_error *err)
{
	struct vp_aws_error aerr;
	char account[VP_IDS_ACCOUNT_LEN + 1];
	bool changed = false;
	vp_code code;

	memset(out, 0, sizeof(*out));
	for (;;) {
		code = vp_aws_iam_update_assume_role_policy(aws, role, *text, &aerr);
		vp_broker_note_aws(metrics, "UpdateAssumeRolePolicy", code, &aerr);
		if (code == VP_OK)
			return VP_OK;
		if (strcmp(aerr.code, "LimitExceeded") == 0) {
			out->limit_exceeded = true;
			out->quota = vp_grants_refused_quota(aerr.message);
			return vp_fail(err, VP_ERR_EXHAUSTED,
				       "the trust policy of %s is full: IAM refused it (%s)", role,
				       aerr.message);
		}
		/* An invalid principal fails the whole document: drop it, write the rest. */
		if (strcmp(aerr.code, "MalformedPolicyDocument") != 0 ||
		    out->dropped_count == VP_GRANTS_MAX_DROPPED ||
		    !vp_grants_refused_principal(aerr.message, account) ||
		    vp_policy_remove_account(policy, account, &changed, NULL) != VP_OK || !changed)
			return vp_broker_aws_fail(err, &aerr, "updating the trust policy");
		vp_log(VP_LOG_WARN,
		       "trust policy of %s: IAM refuses account %s as a principal (%s): left "
		       "out, and the document written without it",
		       role, account, aerr.message);
		if (metrics)
			vp_metrics_add(metrics, VP_GRANTS_METRIC_INVALID_PRINCIPALS,
				       (const char *const[]){"role", role, NULL}, 1);
		memcpy(out->dropped[out->dropped_count++], account, sizeof(account));
		free(*text);
		if (!(*text = vp_policy_serialize(policy)))
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
}
