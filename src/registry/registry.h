/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry: the project's durable memory of namespaces, accounts and
 * events, with race-free allocation of the lowest free namespace number n.
 * docs/registry.md has the schema, the state machine and why allocation is
 * race-free.
 *
 * One interface, two backends chosen by the URL given to vp_registry_open():
 *   sqlite:PATH               the embedded default (WAL, synchronous=FULL)
 *   postgresql://... (or postgres://...)   libpq; several brokers may share it
 *
 * Threads: a struct vp_registry may be used from many threads at once. It
 * holds a small pool of database connections (opts.pool_size) for reads,
 * guarded by a mutex and a condition variable; a read takes one connection
 * for its whole transaction and gives it back, waiting when all are in use.
 * Writes are group-committed: the writes that arrive together run as one
 * transaction on the handle's one writer connection, each in a savepoint of
 * its own (a failed one is undone alone, with its own error), and each call
 * returns once that transaction is committed (docs/registry.md, "Group
 * commit"). Several processes may open the same database: the database
 * serialises writers.
 *
 * Memory: vp_registry_open() allocates the handle; vp_registry_close() frees
 * it (NULL is a no-op). Records are plain values with bounded fixed-size
 * fields, filled by the calls into storage the caller owns. A failing call
 * leaves its outputs untouched and writes nothing to the database.
 */
#ifndef VP_REGISTRY_REGISTRY_H
#define VP_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr/plan.h"
#include "core/error.h"
#include "core/ids.h"
#include "registry/state.h"

#define VP_REGISTRY_URL_MAX        1024
#define VP_REGISTRY_ARN_MAX        1024 /* IAM role ARNs are at most about 600 */
#define VP_REGISTRY_LABELS_MAX     2048 /* a JSON object, compact text */
#define VP_REGISTRY_DETAIL_MAX     2048 /* an event's detail, a JSON object */
#define VP_REGISTRY_REQUEST_ID_MAX 128
#define VP_REGISTRY_EVENT_TYPE_MAX 32
#define VP_REGISTRY_CIDR_MAX       19   /* "255.255.255.255/32" */
#define VP_REGISTRY_PAGE_MAX       1000 /* most records one list call returns */

#define VP_REGISTRY_DEFAULT_QUARANTINE      600 /* seconds */
#define VP_REGISTRY_DEFAULT_BUSY_TIMEOUT_MS 10000
#define VP_REGISTRY_DEFAULT_POOL_SIZE       4
#define VP_REGISTRY_MAX_POOL_SIZE           64

struct vp_registry;

struct vp_registry_options {
	/* A released n is not handed out again for this long. */
	int64_t quarantine_seconds;
	/* How long a writer waits for another's lock (SQLite busy timeout; PostgreSQL
	 * connect timeout is min(this, 10 s)). */
	int busy_timeout_ms;
	/* Connections kept by the handle for reads, 1..VP_REGISTRY_MAX_POOL_SIZE
	 * (writes use one more: the handle's writer). */
	int pool_size;
	/* Apply pending migrations when opening (the default). When false, open
	 * only checks that the schema is not newer than the program; the calls
	 * other than migrate and schema_version then need an up-to-date schema. */
	bool migrate;
	/* The address plan: capacity, reserved ranges, the VPC CIDR of each n.
	 * Copied at open; must validate. */
	struct vp_plan plan;
	/* The time source (unix seconds); NULL means time(). For tests. */
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
};

/* The defaults: 600 s quarantine, 10 s busy timeout, 4 connections,
 * migrate on open, the default plan, the system clock. */
void vp_registry_options_init(struct vp_registry_options *opts);

struct vp_namespace_record {
	int64_t id; /* the record's own id; an n is reused by later records */
	int64_t n;
	char account[VP_IDS_ACCOUNT_LEN + 1];
	char client_ref[VP_CLIENT_REF_MAX + 1];
	enum vp_ns_state state;
	char vpc_cidr[VP_REGISTRY_CIDR_MAX + 1];
	char peer_role_arn[VP_REGISTRY_ARN_MAX + 1];
	char vpc_id[VP_AWS_ID_MAX + 1];
	char peering_id[VP_AWS_ID_MAX + 1];
	char labels[VP_REGISTRY_LABELS_MAX + 1]; /* JSON object text, "{}" when none */
	int64_t created_at, updated_at;
	int64_t expires_at;  /* pending only: released by the reconciler after; 0 = never */
	int64_t released_at; /* 0 until released */
	char request_id[VP_REGISTRY_REQUEST_ID_MAX + 1]; /* of the last change */
	/* who registered it (schema v3): a role ARN (of an assumed-role session) or a
	 * user ARN; "" for a namespace registered before, or adopted */
	char principal[VP_REGISTRY_ARN_MAX + 1];
};

struct vp_account_record {
	char account[VP_IDS_ACCOUNT_LEN + 1];
	char peer_role_arn[VP_REGISTRY_ARN_MAX + 1]; /* the role whose trust policy holds it */
	bool granted;                                /* the broker added it to that policy */
	int64_t created_at, updated_at;
};

struct vp_event_record {
	int64_t id;
	int64_t at;
	int64_t n; /* 0 for an account's event */
	char account[VP_IDS_ACCOUNT_LEN + 1];
	char type[VP_REGISTRY_EVENT_TYPE_MAX + 1]; /* "allocated", "active", "account", ... */
	char detail[VP_REGISTRY_DETAIL_MAX + 1];   /* JSON object text */
	char request_id[VP_REGISTRY_REQUEST_ID_MAX + 1];
};

/*
 * Open the registry at `url` (opts NULL: the defaults), migrating the schema
 * unless opts->migrate is false. Errors: VP_ERR_INVALID for a bad URL or
 * options, VP_ERR_DB for a database that cannot be reached, written, read, or
 * whose schema is newer than this program (the message names both versions).
 */
VP_NODISCARD vp_code vp_registry_open(const char *url, const struct vp_registry_options *opts,
				      struct vp_registry **out, struct vp_error *err);
void vp_registry_close(struct vp_registry *reg);

/* "sqlite" or "postgresql". */
const char *vp_registry_backend(const struct vp_registry *reg);

/* The schema version of the database and the latest this program knows. */
VP_NODISCARD vp_code vp_registry_schema_version(struct vp_registry *reg, int *current, int *latest,
						struct vp_error *err);

/* Apply pending migrations (one transaction); *applied (may be NULL) gets how many. */
VP_NODISCARD vp_code vp_registry_migrate(struct vp_registry *reg, int *applied,
					 struct vp_error *err);

/*
 * Give (account, client_ref) a namespace: the lowest n >= 1 that no live
 * namespace holds, that the plan does not reserve and that is not in
 * quarantine, in state pending with expires_at = now + pending_ttl (0: never).
 * When a live namespace already has that (account, client_ref), returns it
 * and allocates nothing (*created false). labels: a JSON object or NULL.
 * VP_ERR_INVALID for a bad account id / client_ref / labels, VP_ERR_EXHAUSTED
 * (naming the capacity) when no n is free.
 */
VP_NODISCARD vp_code vp_registry_allocate(struct vp_registry *reg, const char *account,
					  const char *client_ref, const char *labels,
					  const char *request_id, int64_t pending_ttl,
					  struct vp_namespace_record *out, bool *created,
					  struct vp_error *err);

/* The same, recording the registering principal (a role or user ARN, "" for none). */
VP_NODISCARD vp_code vp_registry_allocate_by(struct vp_registry *reg, const char *account,
					     const char *principal, const char *client_ref,
					     const char *labels, const char *request_id,
					     int64_t pending_ttl, struct vp_namespace_record *out,
					     bool *created, struct vp_error *err);

/* The live record of n, or else the latest released one. VP_ERR_NOT_FOUND. */
VP_NODISCARD vp_code vp_registry_get(struct vp_registry *reg, int64_t n,
				     struct vp_namespace_record *out, struct vp_error *err);

/* The live record of (account, client_ref). VP_ERR_NOT_FOUND. */
VP_NODISCARD vp_code vp_registry_find(struct vp_registry *reg, const char *account,
				      const char *client_ref, struct vp_namespace_record *out,
				      struct vp_error *err);

struct vp_registry_filter {
	unsigned states;     /* VP_NS_STATE_BIT()s; 0 = all */
	const char *account; /* NULL or "" = all */
	int64_t after_id;    /* the cursor: records with id > after_id (0 = from the start) */
};

/*
 * Records matching the filter in id order, at most `max` (<= VP_REGISTRY_PAGE_MAX)
 * into out[]. *count gets how many; *next_cursor the after_id of the next page,
 * or 0 when this page is the last.
 */
VP_NODISCARD vp_code vp_registry_list(struct vp_registry *reg,
				      const struct vp_registry_filter *filter,
				      struct vp_namespace_record *out, size_t max, size_t *count,
				      int64_t *next_cursor, struct vp_error *err);

/* Pending namespaces whose TTL has passed (expires_at <= now), longest expired first. */
VP_NODISCARD vp_code vp_registry_list_expired(struct vp_registry *reg,
					      struct vp_namespace_record *out, size_t max,
					      size_t *count, struct vp_error *err);

/* What a transition sets besides the state; NULL fields are left as they are. */
struct vp_registry_change {
	const char *peering_id;
	const char *vpc_id;
	const char *peer_role_arn;
	const char *detail; /* JSON object for the event, or NULL */
};

/*
 * Move the live namespace n from one of the states in `from` (VP_NS_STATE_BIT()s)
 * to `to`, atomically: the state is compared and set in one transaction with
 * its event, so two brokers cannot both move the same record. An illegal
 * transition, or a current state outside `from`, is VP_ERR_CONFLICT naming
 * both states, and nothing is written. VP_ERR_NOT_FOUND when n has no record.
 * `out` (may be NULL) gets the record as written.
 */
VP_NODISCARD vp_code vp_registry_transition(struct vp_registry *reg, int64_t n, unsigned from,
					    enum vp_ns_state to,
					    const struct vp_registry_change *change,
					    const char *request_id, struct vp_namespace_record *out,
					    struct vp_error *err);

/*
 * vp_registry_transition() on one record only: compare-and-set on the record's
 * identity (id, from a read made earlier) and its state. When n's live record
 * is no longer that one (released, and n given to another), VP_ERR_CONFLICT
 * "lost race", nothing written: a stale snapshot never acts on a newer record.
 * id 0 acts on whatever live record holds n (vp_registry_transition).
 */
VP_NODISCARD vp_code vp_registry_transition_record(struct vp_registry *reg, int64_t n, int64_t id,
						   unsigned from, enum vp_ns_state to,
						   const struct vp_registry_change *change,
						   const char *request_id,
						   struct vp_namespace_record *out,
						   struct vp_error *err);

/* Live (not released) namespaces, in all or for one account. */
VP_NODISCARD vp_code vp_registry_count_live(struct vp_registry *reg, int64_t *count,
					    struct vp_error *err);
VP_NODISCARD vp_code vp_registry_count_live_account(struct vp_registry *reg, const char *account,
						    int64_t *count, struct vp_error *err);

/*
 * What a registration reads before it allocates (vp_registry_register_view).
 * The counts are of the live namespaces that count toward a quota: a pending
 * one whose TTL has passed (expires_at <= the registry's now) counts toward
 * none, though it is live until the reconciler releases it.
 */
struct vp_registry_register_view {
	bool found; /* ns is the live record of (account, client_ref) */
	struct vp_namespace_record ns;
	bool account_found; /* account is the account's row */
	struct vp_account_record account;
	/* Unless found: */
	int64_t live_count;         /* live namespaces, all accounts */
	int64_t account_live_count; /* the account's */
	/* With a rank_id: those of them whose record id is <= rank_id (older or it). */
	int64_t rank;
	int64_t account_rank;
};

/*
 * A registration's reads in one read transaction: the live record of
 * (account, client_ref) (client_ref NULL: not looked up), the account's row,
 * and, when no live record has that key, the counts above (rank_id 0: no
 * rank counted). *out is the caller's; a failure leaves it untouched.
 * VP_ERR_INVALID for a bad account id or client_ref.
 */
VP_NODISCARD vp_code vp_registry_register_view(struct vp_registry *reg, const char *account,
					       const char *client_ref, int64_t rank_id,
					       struct vp_registry_register_view *out,
					       struct vp_error *err);

/*
 * The registry's time now (unix seconds): the clock of its options (tests),
 * else the system's. What expires_at is compared with.
 */
int64_t vp_registry_time_now(const struct vp_registry *reg);

/* ---- the registry itself ---- */

#define VP_REGISTRY_ID_MAX 64
/*
 * The registry's id: made once, at the migration that created the table
 * (32 hex digits), the same in every copy and backup of this registry. The
 * broker tags what it makes in AWS with it, so a registry restored from an
 * older backup recognises its own peerings (docs/reconciler.md).
 */
VP_NODISCARD vp_code vp_registry_id(struct vp_registry *reg, char out[VP_REGISTRY_ID_MAX + 1],
				    struct vp_error *err);

/*
 * Adoption (adopt.c): the registry re-creates what it has lost. A registry
 * restored from an older backup does not know the peerings confirmed after
 * the backup; the broker's tags on such a peering (this registry's id, n)
 * say it is this registry's, and vp_registry_adopt() gives it its record
 * back: in one transaction it checks that no live record holds n, the
 * peering or (account, client_ref), takes n out of the free list and the
 * quarantine (so no allocation hands it out), inserts the record active with
 * the plan's CIDR for n and writes an "adopted" event. VP_ERR_CONFLICT naming
 * the live record that holds it (nothing written: a human decides);
 * VP_ERR_INVALID for a bad id, or n outside the plan or reserved. out (may
 * be NULL) gets the new record.
 */
struct vp_registry_adoption {
	int64_t n;
	const char *account;    /* the peering's requester owner */
	const char *client_ref; /* from the peering's tag */
	const char *peering_id;
	const char *vpc_id; /* the requester's VPC */
	const char *reason; /* for the event (<= 256 characters; NULL: "") */
};
VP_NODISCARD vp_code vp_registry_adopt(struct vp_registry *reg,
				       const struct vp_registry_adoption *in,
				       const char *request_id, struct vp_namespace_record *out,
				       struct vp_error *err);

/* Create or update an account (peer role ARN, granted), with its event. */
VP_NODISCARD vp_code vp_registry_account_upsert(struct vp_registry *reg, const char *account,
						const char *peer_role_arn, bool granted,
						const char *request_id,
						struct vp_account_record *out,
						struct vp_error *err);
/*
 * The same as a compare-and-set on the account's row: only while it has not
 * changed since unchanged_since (updated_at < it; 0: unconditionally), for a
 * write decided from a read made then (the reconciler's trust policy read).
 * VP_ERR_CONFLICT "lost race", nothing written, when it has.
 */
VP_NODISCARD vp_code vp_registry_account_upsert_since(struct vp_registry *reg, const char *account,
						      const char *peer_role_arn, bool granted,
						      const char *request_id,
						      int64_t unchanged_since,
						      struct vp_account_record *out,
						      struct vp_error *err);
VP_NODISCARD vp_code vp_registry_account_get(struct vp_registry *reg, const char *account,
					     struct vp_account_record *out, struct vp_error *err);
/* Accounts in id order after `after` ("" = from the start), at most max. */
VP_NODISCARD vp_code vp_registry_account_list(struct vp_registry *reg, const char *after,
					      struct vp_account_record *out, size_t max,
					      size_t *count, struct vp_error *err);

/* Events of namespace n (every record that held it) with id > after_id, oldest first. */
VP_NODISCARD vp_code vp_registry_events(struct vp_registry *reg, int64_t n, int64_t after_id,
					struct vp_event_record *out, size_t max, size_t *count,
					struct vp_error *err);

/*
 * Events newest first: of namespace n (0: any), of `account` (NULL or "": any),
 * with id < before_id (0: from the newest), at most max (<= VP_REGISTRY_PAGE_MAX).
 */
VP_NODISCARD vp_code vp_registry_events_recent(struct vp_registry *reg, int64_t n,
					       const char *account, int64_t before_id,
					       struct vp_event_record *out, size_t max,
					       size_t *count, struct vp_error *err);

/*
 * Set the peer role ARN of the live namespace n (the role whose trust policy
 * lets its account in), with a "peer_role" event. The state is unchanged.
 * VP_ERR_NOT_FOUND when n has no live record.
 */
VP_NODISCARD vp_code vp_registry_set_peer_role(struct vp_registry *reg, int64_t n,
					       const char *peer_role_arn, const char *request_id,
					       struct vp_namespace_record *out,
					       struct vp_error *err);

/*
 * Record confirm's intent on the pending namespace n: the peering and VPC ids,
 * written (with an "intent" event) before the hub routes are created, so a
 * route left by a crash can be attributed to it (docs/reconciler.md). The
 * state, updated_at and request_id are unchanged (the event has the time and
 * request id): a confirm that then fails leaves the record as clients saw it.
 * VP_ERR_CONFLICT when n has no pending record.
 */
VP_NODISCARD vp_code vp_registry_set_intent(struct vp_registry *reg, int64_t n,
					    const char *peering_id, const char *vpc_id,
					    const char *request_id, struct vp_namespace_record *out,
					    struct vp_error *err);

/*
 * Undo vp_registry_set_intent once confirm has refused peering_id and ended it
 * (the CIDR blocks AWS shows only once a peering is active did not match): the
 * pending record's peering and VPC ids go back to "", with an "intent_cleared"
 * event. Only while the intent still names peering_id (a newer confirm's
 * stays); otherwise VP_OK and nothing changes.
 */
VP_NODISCARD vp_code vp_registry_clear_intent(struct vp_registry *reg, int64_t n,
					      const char *peering_id, const char *request_id,
					      struct vp_error *err);

/*
 * How many live namespaces are in each state: counts[s] for pending, active,
 * failed and releasing (released is history: counts[VP_NS_RELEASED] is 0).
 */
VP_NODISCARD vp_code vp_registry_count_states(struct vp_registry *reg,
					      int64_t counts[VP_NS_STATE_COUNT],
					      struct vp_error *err);

/*
 * Named locks, for a read-modify-write outside the database that brokers
 * sharing one registry must not interleave (a peer role's trust policy:
 * "trust:<role>"). Held until vp_registry_unlock(); not reentrant.
 *
 * Within one process a name is held by one caller at a time (a mutex and a
 * condition variable in the handle). On PostgreSQL the holder also holds a
 * row of the table lock_rows (name, holder, expiry) taken and given back in
 * short transactions of their own, so brokers in other processes wait too,
 * with no session state (it works behind a transaction pooler); the handle
 * renews its rows while it holds any, and those of a broker that died expire
 * after VP_REGISTRY_LOCK_ROW_TTL (15 s). On SQLite the in-process lock is all
 * there is: one SQLite file is used by one broker process.
 *
 * Waits at most timeout_ms (<= 0: the registry's busy timeout), then
 * VP_ERR_UNAVAILABLE naming the lock. VP_ERR_INVALID for an empty name or one
 * longer than VP_REGISTRY_LOCK_NAME_MAX. *out is the caller's, given back
 * with vp_registry_unlock() (NULL is a no-op), before vp_registry_close().
 */
#define VP_REGISTRY_LOCK_NAME_MAX 256
struct vp_registry_lock;
VP_NODISCARD vp_code vp_registry_lock(struct vp_registry *reg, const char *name, int timeout_ms,
				      struct vp_registry_lock **out, struct vp_error *err);
void vp_registry_unlock(struct vp_registry_lock *lock);

/* ---- leases with fencing (lease.c) ---- */

#define VP_REGISTRY_HOLDER_MAX 128

/* A name for this process as a lease or lock holder: host, pid, 64 random bits. */
void vp_registry_holder_name(char *out, size_t size);

/*
 * A lease: leadership by time, kept in the registry (table leases): a row
 * (name, holder, epoch, expires_at). held_epoch 0 takes the lease: when nobody
 * holds it or it has expired (registry time), the caller becomes its holder
 * with the next epoch; VP_ERR_UNAVAILABLE naming the holder when another holds
 * it unexpired. held_epoch > 0 renews: only when the caller still holds that
 * epoch unexpired, else VP_ERR_CONFLICT "lost" (someone took it over, or it
 * expired). Either way it then lasts ttl_s seconds from now; *epoch and
 * *expires_at (may be NULL) get its epoch and end.
 */
VP_NODISCARD vp_code vp_registry_lease_take(struct vp_registry *reg, const char *name,
					    const char *holder, int64_t ttl_s, int64_t held_epoch,
					    int64_t *epoch, int64_t *expires_at,
					    struct vp_error *err);
/* Give the lease up (it expires now), if the caller still holds that epoch. */
VP_NODISCARD vp_code vp_registry_lease_end(struct vp_registry *reg, const char *name,
					   const char *holder, int64_t epoch, struct vp_error *err);

/*
 * A fence: the lease epoch the writes of one thread carry. While set (per
 * thread: vp_registry_fence_set(NULL) clears it) every registry write that
 * thread makes first checks, in its own transaction, that the lease `name`
 * is still held by `holder` at `epoch` and unexpired; when not, the write is
 * refused with VP_ERR_CONFLICT "fenced", nothing written, and `lost` becomes
 * true. On PostgreSQL the check holds the lease row (FOR SHARE) until the
 * write commits, so a takeover cannot slip in between.
 */
struct vp_registry_fence {
	char name[VP_REGISTRY_LOCK_NAME_MAX + 1];
	char holder[VP_REGISTRY_HOLDER_MAX + 1];
	int64_t epoch;
	_Atomic bool lost;
};
void vp_registry_fence_set(struct vp_registry_fence *fence);

/*
 * The readiness heartbeat: upsert (holder, now) into heartbeats in a write
 * transaction of its own on a pooled connection, committed. Fails as a write
 * would (VP_ERR_DB on a full disk, a read-only file or database).
 */
VP_NODISCARD vp_code vp_registry_heartbeat(struct vp_registry *reg, const char *holder,
					   struct vp_error *err);

#endif
