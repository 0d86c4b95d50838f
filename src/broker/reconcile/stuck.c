/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check 1b, stuck releases: namespaces left releasing by a
 * release that failed or crashed are released again (the workflow continues
 * from where it stopped).
 */
#include "broker/reconcile/internal.h"

vp_code vp_reconcile_finish_releases(struct vp_reconcile_pass *p, struct vp_error *err)
{
	(void)err; /* the pass's records are read already: nothing here fails the pass */
	for (size_t i = 0; i < p->live_count && !vp_reconcile_stopping(p); i++) {
		const struct vp_namespace_record *rec = &p->live[i];
		struct vp_reconcile_item *it;

		if (rec->state != VP_NS_RELEASING)
			continue;
		it = vp_reconcile_add_item(p, VP_RECONCILE_FINISH_RELEASE, rec->n, rec->account);
		vp_reconcile_detail(it, "left releasing since %lld", (long long)rec->updated_at);
		vp_reconcile_release(p, rec, VP_NS_STATE_BIT(VP_NS_RELEASING), false, it);
	}
	return VP_OK;
}
