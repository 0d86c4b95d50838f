/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check: peerings into the hub VPC that no live namespace owns.
 *   - an active stray is reported (unless a pending namespace of its
 *     requester account with its block awaits it: peer-role mode's client
 *     accepts before it confirms); in peer-role mode (a granted account can
 *     accept a peering into the hub outside any broker flow) it is deleted
 *     once it has been seen for limits.stray_grace_s; in broker mode the
 *     broker accepted nothing it does not own, so a human made it: reported
 *     only;
 *   - a pending-acceptance request is foreign when its requester account has
 *     no live pending namespace still waiting for its peering: it is rejected
 *     once it is limits.foreign_grace_s old (its creation time is its
 *     expirationTime - 7 days when EC2 gives one, else when first seen).
 * Peerings tagged with a registry id are left to the adoption step (this
 * registry's) or to their own broker (another registry's): never deleted.
 * First-seen times live in struct vp_reconcile_memory (in memory: a restart
 * starts a grace again, which only delays a deletion; the registry's events
 * are per namespace and a stray has none).
 */
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "broker/internal.h"
#include "broker/reconcile/internal.h"
#include "broker/tags.h"
#include "core/clock.h"

#define MEMORY_MAX       1024        /* peerings remembered; more are first seen at every pass */
#define REQUEST_LIFETIME (7 * 86400) /* a cross-account request expires after 7 days */

struct seen {
	char pcx[VP_AWS_ID_MAX + 1];
	int64_t first;
	uint64_t pass;
};

struct vp_reconcile_memory {
	struct seen items[MEMORY_MAX];
	size_t count;
	uint64_t pass;
};

struct vp_reconcile_memory *vp_reconcile_memory_new(void)
{
	return calloc(1, sizeof(struct vp_reconcile_memory));
}

void vp_reconcile_memory_free(struct vp_reconcile_memory *m)
{
	free(m);
}

int64_t vp_reconcile_first_seen(struct vp_reconcile_pass *p, const char *pcx)
{
	struct vp_reconcile_memory *m = p->opts->memory;

	if (!m)
		return p->now;
	for (size_t i = 0; i < m->count; i++)
		if (strcmp(m->items[i].pcx, pcx) == 0) {
			m->items[i].pass = m->pass;
			return m->items[i].first;
		}
	if (m->count < MEMORY_MAX) {
		struct seen *s = &m->items[m->count++];
		vp_reconcile_copy(s->pcx, sizeof(s->pcx), pcx);
		s->first = p->now;
		s->pass = m->pass;
	}
	return p->now;
}

/* Forget the peerings this pass did not see (gone, or owned now). */
static void forget_unseen(struct vp_reconcile_memory *m)
{
	size_t kept = 0;

	for (size_t i = 0; i < m->count; i++)
		if (m->items[i].pass == m->pass)
			m->items[kept++] = m->items[i];
	m->count = kept;
}

/*
 * Whether the account has a live pending namespace still waiting for its
 * peering, with that block when `cidr` is given (an active peering's).
 */
static bool awaited(const struct vp_reconcile_pass *p, const char *account, const char *cidr)
{
	for (size_t i = 0; account && i < p->live_count; i++)
		if (p->live[i].state == VP_NS_PENDING && !p->live[i].peering_id[0] &&
		    strcmp(p->live[i].account, account) == 0 &&
		    (!cidr || strcmp(p->live[i].vpc_cidr, cidr) == 0))
			return true;
	return false;
}

/* Delete (active) or reject (pending) the peering; NotFound: gone already, done. */
static void end_peering(struct vp_reconcile_pass *p, const char *pcx, bool reject,
			struct vp_reconcile_item *it)
{
	const char *action = reject ? "RejectVpcPeeringConnection" : "DeleteVpcPeeringConnection";
	struct vp_aws_error aerr;
	struct vp_error e;
	vp_code code;

	if (!vp_reconcile_may_destroy(p, it) || p->opts->dry_run)
		return;
	code = reject ? vp_aws_ec2_reject_vpc_peering_connection(p->b->aws, pcx, &aerr)
		      : vp_aws_ec2_delete_vpc_peering_connection(p->b->aws, pcx, &aerr);
	vp_broker_note_aws(p->b->metrics, action, code, &aerr);
	if (code != VP_OK && code != VP_ERR_NOT_FOUND) {
		vp_broker_aws_fail(&e, &aerr,
				   reject ? "rejecting the request" : "deleting the peering");
		vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
	}
}

static void active_stray(struct vp_reconcile_pass *p, const struct vp_aws_ec2_peering *pc,
			 const char *other_registry)
{
	const char *pcx = pc->vpc_peering_connection_id;
	struct vp_reconcile_item *it =
		vp_reconcile_add_item(p, VP_RECONCILE_STRAY_PEERING, 0, pc->requester.owner_id);
	int64_t age = p->now - vp_reconcile_first_seen(p, pcx);

	if (it)
		vp_reconcile_copy(it->target, sizeof(it->target), pcx);
	vp_reconcile_detail(it,
			    "peering %s from account %s (VPC %s) into the hub is active and no "
			    "live namespace owns it%s",
			    pcx, pc->requester.owner_id ? pc->requester.owner_id : "?",
			    pc->requester.vpc_id ? pc->requester.vpc_id : "?",
			    vp_reconcile_known(p, pcx) ? " (its namespace was released)" : "");
	if (other_registry || !vp_reconcile_peer_role_mode(p) || age < p->limits.stray_grace_s) {
		size_t len = it ? strlen(it->detail) : 0;
		if (it && other_registry)
			snprintf(it->detail + len, sizeof(it->detail) - len,
				 "; tagged by another registry (%s): left to its broker",
				 other_registry);
		else if (it && !vp_reconcile_peer_role_mode(p))
			snprintf(it->detail + len, sizeof(it->detail) - len,
				 "; broker mode: the broker accepted nothing it does not own, so "
				 "someone else did: left as it is, end it by hand if unwanted");
		else if (it)
			snprintf(it->detail + len, sizeof(it->detail) - len,
				 "; seen for %lld s, deleted after %lld s (--stray-peering-grace)",
				 (long long)age, (long long)p->limits.stray_grace_s);
		vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
		return;
	}
	if (it) {
		size_t len = strlen(it->detail);
		snprintf(it->detail + len, sizeof(it->detail) - len,
			 "; seen for %lld s (--stray-peering-grace %lld): deleted", (long long)age,
			 (long long)p->limits.stray_grace_s);
	}
	end_peering(p, pcx, false, it);
}

/* When the request was made: expirationTime - 7 days, else when first seen. */
static int64_t request_made(struct vp_reconcile_pass *p, const struct vp_aws_ec2_peering *pc)
{
	int64_t expires = 0, seen = vp_reconcile_first_seen(p, pc->vpc_peering_connection_id);

	if (pc->expiration_time &&
	    vp_clock_parse_iso8601(pc->expiration_time, &expires, NULL) == VP_OK &&
	    expires - REQUEST_LIFETIME < seen)
		return expires - REQUEST_LIFETIME;
	return seen;
}

static void foreign_request(struct vp_reconcile_pass *p, const struct vp_aws_ec2_peering *pc)
{
	const char *pcx = pc->vpc_peering_connection_id;
	int64_t age;
	struct vp_reconcile_item *it;

	if (awaited(p, pc->requester.owner_id, NULL))
		return; /* its namespace's confirm is coming */
	age = p->now - request_made(p, pc);
	it = vp_reconcile_add_item(p, VP_RECONCILE_FOREIGN_REQUEST, 0, pc->requester.owner_id);
	if (it)
		vp_reconcile_copy(it->target, sizeof(it->target), pcx);
	vp_reconcile_detail(it,
			    "request %s from account %s (VPC %s) into the hub, %lld s old: no live "
			    "namespace of that account awaits a peering; %s after %lld s "
			    "(--foreign-request-grace)",
			    pcx, pc->requester.owner_id ? pc->requester.owner_id : "?",
			    pc->requester.vpc_id ? pc->requester.vpc_id : "?", (long long)age,
			    age >= p->limits.foreign_grace_s ? "rejected" : "to be rejected",
			    (long long)p->limits.foreign_grace_s);
	if (age < p->limits.foreign_grace_s) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
		return;
	}
	end_peering(p, pcx, true, it);
}

vp_code vp_reconcile_check_strays(struct vp_reconcile_pass *p, struct vp_error *err)
{
	(void)err; /* the hub's peerings are read already: nothing here fails the pass */
	if (p->opts->memory)
		p->opts->memory->pass++;
	for (size_t i = 0; i < p->peerings->count && !vp_reconcile_stopping(p); i++) {
		const struct vp_aws_ec2_peering *pc = &p->peerings->items[i];
		const char *pcx = pc->vpc_peering_connection_id;
		const char *status = pc->status_code ? pc->status_code : "";
		const char *tag = vp_aws_ec2_tag(&pc->tags, VP_TAG_REGISTRY);

		if (!pcx || vp_reconcile_owned(p, pcx))
			continue;
		if (strcmp(status, "pending-acceptance") == 0) {
			foreign_request(p, pc);
			continue;
		}
		if (strcmp(status, "active") != 0 && strcmp(status, "provisioning") != 0)
			continue; /* ended, or ending */
		/* This registry's tag and a record it never had: the adoption step's. */
		if (tag && strcmp(tag, p->registry_id) == 0 && !vp_reconcile_known(p, pcx))
			continue;
		/* Peer-role mode: the client accepted it and its confirm is coming. */
		if (awaited(p, pc->requester.owner_id, pc->requester.cidr_block))
			continue;
		active_stray(p, pc, tag && strcmp(tag, p->registry_id) != 0 ? tag : NULL);
	}
	if (p->opts->memory && !p->opts->dry_run)
		forget_unseen(p->opts->memory);
	return VP_OK;
}
