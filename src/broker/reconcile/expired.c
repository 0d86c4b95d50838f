/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check 1a, TTL releases: pending namespaces past their TTL
 * (never confirmed) are released with the release workflow.
 */
#include <stdlib.h>

#include "broker/internal.h"
#include "broker/reconcile/internal.h"

vp_code vp_reconcile_release_expired(struct vp_reconcile_pass *p, struct vp_error *err)
{
	struct vp_namespace_record *expired = calloc(VP_REGISTRY_PAGE_MAX, sizeof(*expired));
	size_t count = 0;
	vp_code code;

	if (!expired)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = vp_registry_list_expired(p->b->registry, expired, VP_REGISTRY_PAGE_MAX, &count, err);
	for (size_t i = 0; code == VP_OK && i < count && !vp_reconcile_stopping(p); i++) {
		struct vp_reconcile_item *it = vp_reconcile_add_item(
			p, VP_RECONCILE_RELEASE_EXPIRED, expired[i].n, expired[i].account);

		vp_reconcile_detail(it, "pending since %lld, TTL passed at %lld",
				    (long long)expired[i].created_at,
				    (long long)expired[i].expires_at);
		vp_reconcile_release(p, &expired[i], VP_NS_STATE_BIT(VP_NS_PENDING), true, it);
	}
	free(expired);
	return code;
}
