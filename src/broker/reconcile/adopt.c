/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check 0, adoption: an active peering into the hub tagged with
 * this registry's id (VP_TAG_REGISTRY) and a namespace n (VP_TAG_NAMESPACE)
 * that no record of the registry has ever named was confirmed by this
 * registry after the backup it was restored from. Its record comes back
 * (vp_registry_adopt: active, n held again, an "adopted" event), so the
 * client keeps its peering and routes and n is never handed out twice. When
 * a live record of another registration holds n, nothing is deleted: the
 * conflict is reported (log error) for a human. Adoption destroys nothing and
 * does not count toward the limit on destructive repairs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "broker/internal.h"
#include "broker/reconcile/internal.h"
#include "broker/tags.h"
#include "core/num.h"

/* A record the rest of the pass sees: appended to the live ones and the known peerings. */
static vp_code remember(struct vp_reconcile_pass *p, const struct vp_namespace_record *rec,
			struct vp_error *err)
{
	struct vp_namespace_record *live = realloc(p->live, (p->live_count + 1) * sizeof(*live));
	char(*known)[VP_AWS_ID_MAX + 1];

	if (!live)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	p->live = live;
	if (!(known = realloc(p->known, (p->known_count + 1) * sizeof(*known))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	p->known = known;
	p->live[p->live_count++] = *rec;
	vp_reconcile_copy(p->known[p->known_count++], sizeof(p->known[0]), rec->peering_id);
	return VP_OK;
}

static const struct vp_namespace_record *live_of(const struct vp_reconcile_pass *p, int64_t n)
{
	for (size_t i = 0; i < p->live_count; i++)
		if (p->live[i].n == n)
			return &p->live[i];
	return NULL;
}

/* The item becomes a conflict for a human: fmt (appended to its sentence) says why. */
static void conflict(struct vp_reconcile_item *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conflict(struct vp_reconcile_item *it, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!it)
		return;
	it->kind = VP_RECONCILE_ADOPT_CONFLICT;
	len = strlen(it->detail);
	va_start(ap, fmt);
	vsnprintf(it->detail + len, sizeof(it->detail) - len, fmt, ap);
	va_end(ap);
	len = strlen(it->detail);
	snprintf(it->detail + len, sizeof(it->detail) - len,
		 ": nothing deleted, a human must decide (docs/reconciler.md, \"Adoption\")");
	vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
}

/*
 * The pending record of the same registration (restored from before its
 * confirm): pending -> active with the peering, under n's lock.
 */
static void confirm_pending(struct vp_reconcile_pass *p, const struct vp_namespace_record *rec,
			    const struct vp_aws_ec2_peering *pc, struct vp_reconcile_item *it)
{
	struct vp_registry_change change = {.peering_id = pc->vpc_peering_connection_id,
					    .vpc_id = pc->requester.vpc_id,
					    .detail = "{\"reason\":\"adopted: the hub's tagged "
						      "peering is active\"}"};
	struct vp_registry_lock *lock = NULL;
	struct vp_namespace_record *now;
	struct vp_error e;
	bool live = false;

	if (p->opts->dry_run)
		return;
	if (!(now = vp_reconcile_lock_record(p, rec->n, it, &lock, &live)))
		return;
	if (!live || now->state != VP_NS_PENDING || now->peering_id[0] ||
	    strcmp(now->client_ref, rec->client_ref) != 0) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED, NULL); /* changed meanwhile */
	} else if (vp_registry_transition(p->b->registry, rec->n, VP_NS_STATE_BIT(VP_NS_PENDING),
					  VP_NS_ACTIVE, &change, p->rid, now, &e) != VP_OK) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
	} else {
		for (size_t i = 0; i < p->live_count; i++)
			if (p->live[i].n == rec->n)
				p->live[i] = *now;
		if (remember(p, now, &e) == VP_OK)
			p->live_count--; /* already live: only the peering is new */
	}
	vp_registry_unlock(lock);
	free(now);
}

static void adopt_one(struct vp_reconcile_pass *p, const struct vp_aws_ec2_peering *pc, int64_t n)
{
	const char *pcx = pc->vpc_peering_connection_id;
	const char *account = pc->requester.owner_id ? pc->requester.owner_id : "";
	const char *tag_account = vp_aws_ec2_tag(&pc->tags, VP_TAG_ACCOUNT);
	const char *ref = vp_aws_ec2_tag(&pc->tags, VP_TAG_CLIENT_REF);
	const struct vp_namespace_record *holder = live_of(p, n);
	struct vp_reconcile_item *it = vp_reconcile_add_item(p, VP_RECONCILE_ADOPT, n, account);
	struct vp_namespace_record rec = {.n = n, .state = VP_NS_ACTIVE};
	struct vp_registry_adoption in;
	struct vp_namespace_plan ns;
	char cidr[VP_CIDR_STRLEN] = "", fallback_ref[VP_AWS_ID_MAX + 16];
	struct vp_error e;
	vp_code code;

	snprintf(fallback_ref, sizeof(fallback_ref), "adopted-%s", pcx);
	ref = ref && *ref ? ref : fallback_ref;
	if (it)
		vp_reconcile_copy(it->target, sizeof(it->target), pcx);
	if (vp_plan_namespace(&p->b->plan, n, &ns, NULL) == VP_OK)
		vp_cidr_format(ns.vpc, cidr);
	if (it)
		vp_reconcile_copy(it->cidr, sizeof(it->cidr), cidr);
	vp_reconcile_detail(it,
			    "peering %s (account %s, VPC %s) is tagged with this registry and "
			    "namespace %lld, which the registry does not know",
			    pcx, account, pc->requester.vpc_id ? pc->requester.vpc_id : "?",
			    (long long)n);
	if (!cidr[0]) {
		conflict(it, "; namespace %lld is outside the plan", (long long)n);
		return;
	}
	if (tag_account && strcmp(tag_account, account) != 0) {
		conflict(it, "; its account tag says %s, its requester is another", tag_account);
		return;
	}
	if (pc->requester.cidr_block && strcmp(pc->requester.cidr_block, cidr) != 0) {
		conflict(it, "; its requester's CIDR %s is not the plan's %s",
			 pc->requester.cidr_block, cidr);
		return;
	}
	if (holder && holder->state == VP_NS_PENDING && !holder->peering_id[0] &&
	    strcmp(holder->account, account) == 0 && strcmp(holder->client_ref, ref) == 0) {
		vp_reconcile_detail(
			it,
			"peering %s is tagged with this registry and namespace %lld, "
			"whose record is still pending (a registry restored from before "
			"its confirm): confirmed with it",
			pcx, (long long)n);
		confirm_pending(p, holder, pc, it);
		return;
	}
	if (holder) {
		conflict(it,
			 "; namespace %lld is held by the live record of account %s "
			 "(client_ref %s, %s)",
			 (long long)n, holder->account, holder->client_ref,
			 vp_registry_state_name(holder->state));
		return;
	}
	if (p->opts->dry_run) { /* what the rest of the pass would see */
		vp_reconcile_copy(rec.account, sizeof(rec.account), account);
		vp_reconcile_copy(rec.client_ref, sizeof(rec.client_ref), ref);
		vp_reconcile_copy(rec.vpc_cidr, sizeof(rec.vpc_cidr), cidr);
		vp_reconcile_copy(rec.peering_id, sizeof(rec.peering_id), pcx);
		vp_reconcile_copy(rec.vpc_id, sizeof(rec.vpc_id), pc->requester.vpc_id);
		if (remember(p, &rec, &e) != VP_OK)
			vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
		return;
	}
	in = (struct vp_registry_adoption){.n = n,
					   .account = account,
					   .client_ref = ref,
					   .peering_id = pcx,
					   .vpc_id = pc->requester.vpc_id,
					   .reason =
						   "the hub's peering is tagged with this registry "
						   "and n, which the registry did not know"};
	code = vp_registry_adopt(p->b->registry, &in, p->rid, &rec, &e);
	if (code == VP_ERR_CONFLICT) {
		conflict(it, "; %s", e.message);
		return;
	}
	if (code != VP_OK || (code = remember(p, &rec, &e)) != VP_OK)
		vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
}

vp_code vp_reconcile_adopt(struct vp_reconcile_pass *p, struct vp_error *err)
{
	(void)err; /* the hub's peerings are read already: nothing here fails the pass */
	for (size_t i = 0; i < p->peerings->count && !vp_reconcile_stopping(p); i++) {
		const struct vp_aws_ec2_peering *pc = &p->peerings->items[i];
		const char *pcx = pc->vpc_peering_connection_id;
		const char *tag = vp_aws_ec2_tag(&pc->tags, VP_TAG_REGISTRY);
		const char *ns = vp_aws_ec2_tag(&pc->tags, VP_TAG_NAMESPACE);
		int64_t n = 0;

		if (!pcx || !pc->status_code || strcmp(pc->status_code, "active") != 0 || !tag ||
		    strcmp(tag, p->registry_id) != 0 || vp_reconcile_known(p, pcx))
			continue;
		if (!ns || vp_parse_int64(ns, 1, INT32_MAX, VP_TAG_NAMESPACE, &n, NULL) != VP_OK) {
			struct vp_reconcile_item *it = vp_reconcile_add_item(
				p, VP_RECONCILE_ADOPT_CONFLICT, 0,
				pc->requester.owner_id ? pc->requester.owner_id : "");
			if (it)
				vp_reconcile_copy(it->target, sizeof(it->target), pcx);
			vp_reconcile_detail(it, "peering %s is tagged with this registry", pcx);
			conflict(it, " but its %s tag (%s) is not a namespace number",
				 VP_TAG_NAMESPACE, ns ? ns : "missing");
			continue;
		}
		adopt_one(p, pc, n);
	}
	return VP_OK;
}
