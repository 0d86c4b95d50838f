/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trust-policy documents of the hub's peer roles: parse, add or remove client
 * accounts, measure against IAM's size quota, serialise.
 *
 * The broker owns exactly one statement of each document, found by its Sid
 * (VP_POLICY_SID): an Allow of sts:AssumeRole whose Principal.AWS lists the
 * client accounts as root ARNs. Everything else in the document (the hub
 * account, principals added by hand) is kept as it is and never edited. IAM
 * rewrites an account id principal to its root ARN and may store a one-entry
 * list as a plain string; both forms are read.
 *
 * A struct vp_trust_policy is a heap object: vp_policy_parse() makes it,
 * vp_policy_free() frees it (NULL is fine).
 */
#ifndef VP_BROKER_POLICY_H
#define VP_BROKER_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/ids.h"

#define VP_POLICY_SID "VpcpeerClientAccounts"
/* Larger than any quota IAM allows (8192 at most), so a parse never reads unbounded input. */
#define VP_POLICY_MAX_BYTES 65536

struct vp_trust_policy;

/*
 * Parse a trust-policy document (JSON text, not URL-encoded). VP_ERR_INVALID
 * when it is not a JSON object with a Statement (object or array), or when
 * the broker's statement has an unexpected shape.
 */
VP_NODISCARD vp_code vp_policy_parse(const char *text, size_t len, struct vp_trust_policy **out,
				     struct vp_error *err);

void vp_policy_free(struct vp_trust_policy *policy);

/*
 * Add the account to the broker's statement as arn:<partition>:iam::<id>:root,
 * creating the statement if needed. *changed says whether the document
 * changed (false when the account was already there, in either form).
 */
VP_NODISCARD vp_code vp_policy_add_account(struct vp_trust_policy *policy, const char *partition,
					   const char *account, bool *changed,
					   struct vp_error *err);

/*
 * Remove the account from the broker's statement (both forms), dropping the
 * statement when it becomes empty (IAM refuses an empty principal list).
 * Principals outside the broker's statement are never touched.
 */
VP_NODISCARD vp_code vp_policy_remove_account(struct vp_trust_policy *policy, const char *account,
					      bool *changed, struct vp_error *err);

/* Whether the broker's statement names the account. */
bool vp_policy_has_account(const struct vp_trust_policy *policy, const char *account);

/*
 * The accounts in the broker's statement, in document order, as 12-digit ids
 * (entries that are not account principals are skipped). Writes at most
 * `max` into out (each VP_IDS_ACCOUNT_LEN + 1 bytes) and returns how many the
 * statement holds, which may be more than max.
 */
size_t vp_policy_accounts(const struct vp_trust_policy *policy, char (*out)[VP_IDS_ACCOUNT_LEN + 1],
			  size_t max);

/* The document as compact JSON; the caller frees it. NULL when out of memory. */
char *vp_policy_serialize(const struct vp_trust_policy *policy);

/*
 * The size IAM's quota counts (ACLSizePerRole): characters of the document
 * without whitespace.
 */
size_t vp_policy_quota_size(const struct vp_trust_policy *policy);

#endif
