/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler (docs/reconciler.md): one pass compares the registry with
 * AWS (the hub route tables, the peer roles' trust policies, the peerings)
 * and converges them:
 *   - pending namespaces past their TTL are released, and releasing ones
 *     (a release that failed or crashed) are released again;
 *   - active namespaces whose peering is gone (deleted, rejected, expired,
 *     failed) are marked failed, with an event and a metric;
 *   - hub routes: missing routes of active namespaces are created; routes
 *     toward namespace blocks that no active namespace explains are deleted
 *     when the broker made them (the target is a peering the registry knows,
 *     or a blackhole through a peering) and only reported otherwise;
 *   - trust policies: accounts with a live namespace (pending, active,
 *     failed) missing from every broker statement are added again; accounts
 *     in the broker's statement (Sid VpcpeerClientAccounts) with none are
 *     removed. Principals outside that statement are never touched.
 * With dry_run it computes the same and changes nothing.
 *
 * A change to a namespace's routes or state is made under the registry lock
 * "namespace:<n>" (the one confirm and release take), after re-reading the
 * record; when the lock is busy the item is skipped until the next pass.
 * Only one broker should reconcile at a time: callers take the registry lock
 * VP_RECONCILE_LOCK first (vp_reconciler_* does).
 *
 * The report is a heap object (vp_reconcile_report_free). Thread-safe as the
 * broker is.
 */
#ifndef VP_BROKER_RECONCILE_H
#define VP_BROKER_RECONCILE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct vp_broker;

#define VP_RECONCILE_LOCK            "reconciler"
#define VP_RECONCILE_MAX_ITEMS       4096 /* more are counted in `dropped` */
#define VP_RECONCILE_DEFAULT_NS_WAIT 2000 /* ms to wait for a namespace's lock */

enum vp_reconcile_kind {
	VP_RECONCILE_RELEASE_EXPIRED, /* pending past its TTL: released */
	VP_RECONCILE_FINISH_RELEASE,  /* releasing: released again */
	VP_RECONCILE_PEERING_LOST,    /* active, peering gone: failed */
	VP_RECONCILE_CREATE_ROUTE,    /* active namespace's hub route missing */
	VP_RECONCILE_DELETE_ROUTE,    /* a route the broker made that nothing explains */
	VP_RECONCILE_FOREIGN_ROUTE,   /* a route toward a namespace block the broker did not make */
	VP_RECONCILE_ADD_TRUST,       /* live account missing from the trust policies */
	VP_RECONCILE_REMOVE_TRUST,    /* broker-added account with no live namespace */
	VP_RECONCILE_ACCOUNT_RECORD,  /* the account record did not say where it is granted */
	VP_RECONCILE_KIND_COUNT
};

enum vp_reconcile_outcome {
	VP_RECONCILE_PLANNED,  /* dry run: would be done */
	VP_RECONCILE_DONE,     /* done */
	VP_RECONCILE_FAILED,   /* tried, failed (detail says why); the next pass retries */
	VP_RECONCILE_REPORTED, /* only reported: not the broker's to change */
	VP_RECONCILE_SKIPPED,  /* the namespace was busy (a workflow held it), or it changed */
};

struct vp_reconcile_item {
	enum vp_reconcile_kind kind;
	enum vp_reconcile_outcome outcome;
	int64_t n;        /* 0 when none */
	char account[13]; /* "" when none */
	char table[65];   /* route items */
	char cidr[20];    /* route items */
	char target[65];  /* route items: pcx-..., igw-..., or "" */
	char role[129];   /* trust items: the role's name */
	char detail[384];
};

struct vp_reconcile_report {
	bool dry_run;
	int64_t started_at, finished_at; /* unix seconds */
	/* What was looked at. */
	size_t namespaces, route_tables, routes, roles, trust_entries, peerings;
	struct vp_reconcile_item *items;
	size_t count, dropped;
	size_t changed, failed, reported, skipped, planned;
};

struct vp_reconcile_options {
	bool dry_run;
	const char *request_id;  /* for events and logs; NULL: "reconcile" */
	int ns_lock_timeout_ms;  /* 0: VP_RECONCILE_DEFAULT_NS_WAIT */
	const atomic_bool *stop; /* may be NULL: when it becomes true the pass ends early */
};

/*
 * One pass. The report lists every finding and what became of it; the call
 * fails (no report) only when the registry or AWS cannot be read at all.
 * Individual changes that fail are in the report (outcome failed).
 */
VP_NODISCARD vp_code vp_broker_reconcile(struct vp_broker *broker,
					 const struct vp_reconcile_options *opts,
					 struct vp_reconcile_report **out, struct vp_error *err);
void vp_reconcile_report_free(struct vp_reconcile_report *report);

const char *vp_reconcile_kind_name(enum vp_reconcile_kind kind);
const char *vp_reconcile_outcome_name(enum vp_reconcile_outcome outcome);

/* The report as a JSON object (new reference; NULL when out of memory). */
json_t *vp_reconcile_report_json(const struct vp_reconcile_report *report);

/*
 * The reconciler thread of `vpcpeer serve`: every interval_s seconds it tries
 * the registry lock VP_RECONCILE_LOCK (not waiting: another broker leading
 * means this one skips the pass) and runs a pass holding it. The first pass
 * runs at once. vp_reconciler_stop() asks a running pass to end early, joins
 * the thread and frees it (NULL is a no-op).
 */
struct vp_reconciler;
VP_NODISCARD vp_code vp_reconciler_start(struct vp_broker *broker, int64_t interval_s,
					 struct vp_reconciler **out, struct vp_error *err);
void vp_reconciler_stop(struct vp_reconciler *reconciler);

#endif
