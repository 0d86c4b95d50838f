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
 *     removed. Principals outside that statement are never touched;
 *   - peerings into the hub VPC: one tagged with this registry's id and an n
 *     the registry has lost (restored from an older backup) is adopted (its
 *     record re-created, never deleted); strays (no live namespace owns them)
 *     are reported, and active ones deleted after a grace in peer-role mode;
 *     foreign pending requests are rejected after a grace.
 * With dry_run it computes the same and changes nothing. Destructive repairs
 * (route removals, peering deletes and rejects, trust revocations) past
 * limits.max_destructive in one pass are held back unless force.
 *
 * A change to a namespace's routes or state is made under the registry lock
 * "namespace:<n>" (the one confirm and release take), after re-reading the
 * record; when the lock is busy the item is skipped until the next pass.
 * Only one broker reconciles at a time: callers take the lease
 * VP_RECONCILE_LOCK first (vp_reconcile_lease_take) and pass its fence, so a
 * deposed leader's writes are refused by the registry even before it knows.
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
struct vp_registry_fence;

#define VP_RECONCILE_LOCK            "reconciler"
#define VP_RECONCILE_MAX_ITEMS       4096 /* more are counted in `dropped` */
#define VP_RECONCILE_DEFAULT_NS_WAIT 2000 /* ms to wait for a namespace's lock */

#define VP_RECONCILE_DEFAULT_STRAY_GRACE     900  /* s: an active stray, before deleting */
#define VP_RECONCILE_DEFAULT_FOREIGN_GRACE   3600 /* s: a foreign request, before rejecting */
#define VP_RECONCILE_DEFAULT_MAX_DESTRUCTIVE 10   /* destructive repairs in one pass */
#define VP_RECONCILE_DEFAULT_LEASE_TTL       15   /* s: the leader's lease */
#define VP_RECONCILE_DEFAULT_LEASE_RENEW     5    /* s: how often the leader renews it */

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
	VP_RECONCILE_ADOPT,           /* a tagged peering of this registry, its n re-created */
	VP_RECONCILE_ADOPT_CONFLICT,  /* a tagged peering whose n is held by another record */
	VP_RECONCILE_STRAY_PEERING,   /* a peering into the hub that no live namespace owns */
	VP_RECONCILE_FOREIGN_REQUEST, /* a pending request no live namespace's account asked for */
	VP_RECONCILE_ADD_PL_ENTRY, /* active namespace missing from the prefix list of live clients
				    */
	VP_RECONCILE_REMOVE_PL_ENTRY,  /* a prefix list entry no active namespace explains */
	VP_RECONCILE_AUTHORIZE_ZONE,   /* active VPC neither associated with the zone nor authorized
					*/
	VP_RECONCILE_DEAUTHORIZE_ZONE, /* an authorization done with (associated) or of no client */
	VP_RECONCILE_DISASSOCIATE_ZONE, /* a VPC in the hub's zone that no active namespace explains
					 */
	VP_RECONCILE_KIND_COUNT
};

enum vp_reconcile_outcome {
	VP_RECONCILE_PLANNED,  /* dry run: would be done */
	VP_RECONCILE_DONE,     /* done */
	VP_RECONCILE_FAILED,   /* tried, failed (detail says why); the next pass retries */
	VP_RECONCILE_REPORTED, /* only reported: not the broker's to change */
	VP_RECONCILE_SKIPPED,  /* the namespace was busy (a workflow held it), or it changed */
	VP_RECONCILE_HELD,     /* destructive, past the pass's limit: needs --force */
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
	size_t changed, failed, reported, skipped, planned, held;
	size_t destructive; /* destructive repairs made (or planned) in the pass */
};

/* What a pass may destroy and when (flags shared by serve and reconcile). */
struct vp_reconcile_limits {
	int64_t stray_grace_s;   /* an active stray is deleted (peer-role mode) after this */
	int64_t foreign_grace_s; /* a foreign pending request is rejected after this */
	int64_t max_destructive; /* destructive repairs in one pass; more are held back */
	int64_t lease_ttl_s;     /* the leader's lease lasts this long unless renewed */
	int64_t lease_renew_s;   /* the leader renews it this often (< lease_ttl_s) */
};

/* The defaults: VP_RECONCILE_DEFAULT_*. */
void vp_reconcile_limits_init(struct vp_reconcile_limits *limits);

/*
 * When the reconciler first saw each stray or foreign peering, kept from one
 * pass to the next (in memory: a restart starts the grace again, which only
 * delays a deletion). A heap object (vp_reconcile_memory_free; NULL is a
 * no-op); used by one pass at a time.
 */
struct vp_reconcile_memory;
struct vp_reconcile_memory *vp_reconcile_memory_new(void);
void vp_reconcile_memory_free(struct vp_reconcile_memory *memory);

struct vp_reconcile_options {
	bool dry_run;
	bool force;                         /* no limit on destructive repairs */
	bool adopt_only;                    /* only the adoption step (start-up) */
	struct vp_reconcile_limits limits;  /* vp_reconcile_limits_init (opts NULL: defaults) */
	struct vp_reconcile_memory *memory; /* may be NULL: every stray is first seen now */
	const char *request_id;             /* for events and logs; NULL: "reconcile" */
	int ns_lock_timeout_ms;             /* 0: VP_RECONCILE_DEFAULT_NS_WAIT */
	const atomic_bool *stop; /* may be NULL: when it becomes true the pass ends early */
	/* May be NULL: the leader lease's fence. Every registry write of the pass carries
	 * it (refused once the epoch is no longer current) and the pass ends early once
	 * fence->lost. */
	struct vp_registry_fence *fence;
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
 * The adoption step alone, before `serve` answers a registration: a peering
 * tagged by this registry with an n it has lost gets its record back before
 * any allocation could hand that n out. Takes the leader lock (waiting
 * lock_wait_ms); the findings are logged. Fails when the registry or AWS
 * cannot be read or another broker holds the lock that long.
 */
VP_NODISCARD vp_code vp_reconcile_adopt_once(struct vp_broker *broker, int lock_wait_ms,
					     struct vp_error *err);

/*
 * The leader lease VP_RECONCILE_LOCK (a registry lease, docs/operations.md):
 * take it, waiting at most wait_ms (polling); the fence then names this
 * holder and epoch for vp_reconcile_options.fence. Give it back with
 * vp_reconcile_lease_end. `holder` names this process uniquely (made here).
 */
VP_NODISCARD vp_code vp_reconcile_lease_take(struct vp_broker *broker,
					     const struct vp_reconcile_limits *limits, int wait_ms,
					     struct vp_registry_fence *fence, struct vp_error *err);
void vp_reconcile_lease_end(struct vp_broker *broker, struct vp_registry_fence *fence);

/*
 * The reconciler thread of `vpcpeer serve`: every interval_s seconds it tries
 * the lease VP_RECONCILE_LOCK (not waiting: another broker leading means this
 * one skips the pass) and runs a pass holding it, with `limits` (NULL: the
 * defaults) and first-seen times kept across its passes; while it leads a
 * second thread renews the lease every limits.lease_renew_s. A lease lost
 * (not renewed in time, or taken over) is logged at WARN and counted in
 * vpcpeer_reconcile_lease_lost_total; the running pass ends early and its
 * writes are refused (fenced). Each pass logs one INFO line:
 *   reconcile: pass epoch=E started_ms=MS ended_ms=MS outcome=ok|fenced|failed|skipped
 * The first pass runs at once. vp_reconciler_stop() asks a running pass to
 * end early, joins the threads, gives the lease back and frees it (NULL is a
 * no-op).
 */
struct vp_reconciler;
VP_NODISCARD vp_code vp_reconciler_start(struct vp_broker *broker, int64_t interval_s,
					 const struct vp_reconcile_limits *limits,
					 struct vp_reconciler **out, struct vp_error *err);
void vp_reconciler_stop(struct vp_reconciler *reconciler);

#endif
