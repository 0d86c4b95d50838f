/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether an account still has a live namespace (accounts.h has the contract).
 */
#include "broker/accounts.h"

#include <stdlib.h>

#include "registry/registry.h"

vp_code vp_broker_account_in_use(struct vp_registry *registry, const char *account, bool *in_use,
				 struct vp_error *err)
{
	struct vp_registry_filter filter = {
		.states = VP_NS_STATE_BIT(VP_NS_PENDING) | VP_NS_STATE_BIT(VP_NS_ACTIVE) |
			  VP_NS_STATE_BIT(VP_NS_FAILED),
		.account = account,
	};
	struct vp_namespace_record *rec = malloc(sizeof(*rec));
	size_t count = 0;
	int64_t next = 0;
	vp_code code;

	if (!rec)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = vp_registry_list(registry, &filter, rec, 1, &count, &next, err);
	free(rec);
	if (code == VP_OK)
		*in_use = count > 0;
	return code;
}
