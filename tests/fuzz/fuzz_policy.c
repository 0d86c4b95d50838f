/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trust-policy editing on arbitrary documents: never crashes; add then remove
 * of a new account leaves the broker's accounts as they were; the quota size
 * is never more than the serialised length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char before[64][VP_IDS_ACCOUNT_LEN + 1], after[64][VP_IDS_ACCOUNT_LEN + 1];
	struct vp_trust_policy *policy;
	size_t count_before, count_after;
	bool changed, had;
	char *text;

	if (vp_policy_parse((const char *)data, size, &policy, NULL) != VP_OK)
		return 0;
	count_before = vp_policy_accounts(policy, before, 64);
	had = vp_policy_has_account(policy, "999999999999");
	if (vp_policy_add_account(policy, "aws", "999999999999", &changed, NULL) == VP_OK) {
		if (!vp_policy_has_account(policy, "999999999999") || changed == had)
			abort();
		if (!had) {
			vp_ignore(vp_policy_remove_account(
				policy, "999999999999", &changed,
				NULL)); /* refusals are part of the input space */
			count_after = vp_policy_accounts(policy, after, 64);
			if (!changed || count_after != count_before)
				abort();
			for (size_t i = 0; i < count_after && i < 64; i++)
				if (strcmp(before[i], after[i]) != 0)
					abort();
		}
	}
	text = vp_policy_serialize(policy);
	if (text && vp_policy_quota_size(policy) > strlen(text))
		abort();
	free(text);
	vp_policy_free(policy);
	return 0;
}
