/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the registry: what its files share and nothing else includes.
 * registry.h stays the one public interface; this header holds the handle
 * (struct vp_registry), the transaction runner (pool.c), the row helpers
 * (rows.c), the input checks (check.c) and the few calls one file makes into
 * another's tables within the caller's transaction (an event, an account row,
 * a quarantined n, the live record of a key). Every helper that takes a
 * connection runs inside a transaction vp_registry_run_tx() opened.
 */
#ifndef VP_REGISTRY_INTERNAL_H
#define VP_REGISTRY_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/error.h"
#include "registry/backend.h"
#include "registry/registry.h"
#include "registry/url.h"

/* A named lock's row lasts this long unless its holder's keeper renews it (every third
 * of it): a broker that dies leaves its locks for at most this long (lock.c). */
#define VP_REGISTRY_LOCK_ROW_TTL 15
/* Most write transactions one group commit takes (batch.c). */
#define VP_REGISTRY_BATCH_MAX 64
/* A transaction that fails with a retriable error (busy, serialization) is tried this often. */
#define VP_REGISTRY_TX_ATTEMPTS 5

struct vp_registry_batch_item;

/* allocate.c: the n the next allocation of the running batch's transaction may take in one
 * statement, the lowest of its free run ..hi (PostgreSQL). */
struct vp_registry_alloc_next {
	int64_t n, hi;
	bool valid;
};

struct vp_registry {
	const struct vp_db_ops *ops;
	struct vp_registry_url url;
	struct vp_registry_options opts;
	struct vp_namespace_range reserved[VP_PLAN_MAX_RESERVED];
	unsigned reserved_count;
	int64_t capacity;
	int latest_version;

	/* The pool (pool.c): idle connections, how many are open, under mu;
	 * cv wakes a caller waiting for one. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct vp_db_conn *idle[VP_REGISTRY_MAX_POOL_SIZE];
	uint64_t idle_gen[VP_REGISTRY_MAX_POOL_SIZE]; /* lost_gen when it went idle */
	int idle_count;
	/* Grows at every lost connection: an idle connection from before is checked
	 * (ops->check) when next borrowed. */
	uint64_t lost_gen;
	int open_count;

	/* Named locks (lock.c): the names held in this process, under mu;
	 * lock_cv (monotonic clock) wakes their waiters. PostgreSQL: rows of
	 * lock_rows held as lock_holder (this handle's unique name), renewed by
	 * the keeper thread while any is held (keeper_running, keeper_stop). */
	pthread_cond_t lock_cv;
	struct vp_registry_lock *held;
	char lock_holder[VP_REGISTRY_HOLDER_MAX + 1];
	pthread_t keeper;
	bool keeper_running, keeper_stop;

	/* Group commit (batch.c): write transactions queued (queue_head..tail,
	 * `queued` of them) under mu; batch_running while a leader runs a batch
	 * on `writer`, the handle's one writer connection (outside the pool);
	 * batch_cv wakes the waiters when a batch ends, queued_cv whoever waits
	 * for the queue to grow (tests); `batches` counts the batches run. */
	pthread_cond_t batch_cv;
	pthread_cond_t queued_cv;
	struct vp_registry_batch_item *queue_head, *queue_tail;
	int queued;
	bool batch_running;
	uint64_t batches;
	struct vp_db_conn *writer;
	/* Set by an allocation, read by the next one of the same transaction: batch.c
	 * clears it at each BEGIN and when an item is rolled back, since it holds only
	 * while this transaction is the one writer of the free list (allocate.c). */
	struct vp_registry_alloc_next alloc_next;
};

/* The columns of a namespace record, in the order vp_registry_read_namespace() reads them. */
#define VP_REGISTRY_NS_COLS                                                                        \
	"id, n, account_id, client_ref, state, vpc_cidr, peer_role_arn, vpc_id, peering_id, "      \
	"labels, created_at, updated_at, expires_at, released_at, request_id, principal"
/* A live record: one per n and one per (account, client_ref). Word for word the WHERE of the
 * partial index namespaces_live (migrations.c, v5): changed here, it must change there too. */
#define VP_REGISTRY_LIVE "state <> 'released'"

/* The registry's time now (unix seconds): the options' clock, or time(). */
static inline int64_t vp_registry_now(const struct vp_registry *reg)
{
	if (reg->opts.clock)
		return reg->opts.clock(reg->opts.clock_ctx);
	return (int64_t)time(NULL);
}

/* ---- pool.c: transactions ---- */

typedef vp_code (*vp_registry_tx_fn)(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx,
				     struct vp_error *err);

/*
 * Run fn in one transaction (write: one that will write; lock: what
 * PostgreSQL serialises it with), committed when fn returns VP_OK and rolled
 * back otherwise. A read runs on a pooled connection; a write is queued for
 * group commit (vp_registry_batch_run). A failure the backend calls transient
 * (busy, serialization, deadlock) is tried again, 5 times at most, so fn must
 * not keep state across attempts beyond what it sets afresh.
 */
VP_NODISCARD vp_code vp_registry_run_tx(struct vp_registry *reg, bool write, enum vp_db_lock lock,
					vp_registry_tx_fn fn, void *ctx, struct vp_error *err);

/* Whether the connection's last failure lost it; when so, the idle ones are checked
 * when next borrowed (pool.c). */
bool vp_registry_note_lost(struct vp_registry *reg, struct vp_db_conn *conn);

/* Run fn as a write transaction of its own on a pooled connection (not group-committed). */
VP_NODISCARD vp_code vp_registry_run_tx_alone(struct vp_registry *reg, vp_registry_tx_fn fn,
					      void *ctx, struct vp_error *err);

/* ---- lease.c: fencing ---- */

/* This thread's fence (vp_registry_fence_set), or NULL. */
struct vp_registry_fence *vp_registry_fence_current(void);
/* In the caller's transaction: VP_OK while the fence's epoch is current, else
 * VP_ERR_CONFLICT "fenced" (and fence->lost set). */
VP_NODISCARD vp_code vp_registry_fence_check(struct vp_registry *reg, struct vp_db_conn *conn,
					     struct vp_registry_fence *fence, struct vp_error *err);

/* ---- batch.c: group commit ---- */

/*
 * Run fn as one item of a write batch: with the other writes queued at the
 * time, in one transaction on the writer connection, inside a savepoint of
 * its own (a failure of fn undoes its writes only). Returns fn's result once
 * the batch is committed (durable), or the transaction's error when the batch
 * as a whole failed (nothing of it written).
 */
VP_NODISCARD vp_code vp_registry_batch_run(struct vp_registry *reg, enum vp_db_lock lock,
					   vp_registry_tx_fn fn, void *ctx, struct vp_error *err);
/* The batching state of a new handle, and its teardown at close (no call running). */
void vp_registry_batch_init(struct vp_registry *reg);
void vp_registry_batch_cleanup(struct vp_registry *reg);

/* ---- rows.c: reading rows ---- */

/* Copy src into dst[size], cut to size - 1 bytes, always NUL-terminated. */
void vp_registry_copy_text(char *dst, size_t size, const char *src);

/* Turns the current row into a record (out is the record's type). */
typedef void (*vp_registry_row_fn)(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out);

/* A row of VP_REGISTRY_NS_COLS into a struct vp_namespace_record. */
void vp_registry_read_namespace(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out);

/* The first row of a query through read_row into *out, or none: *found says which. */
VP_NODISCARD vp_code vp_registry_query_row(struct vp_registry *reg, struct vp_db_conn *conn,
					   const char *sql, const struct vp_db_param *params,
					   int nparams, vp_registry_row_fn read_row, void *out,
					   bool *found, struct vp_error *err);

/* The first column of the first row as an integer. *found (may be NULL) false
 * when no row; without found, no row is VP_ERR_INTERNAL (a count query). */
VP_NODISCARD vp_code vp_registry_query_int(struct vp_registry *reg, struct vp_db_conn *conn,
					   const char *sql, const struct vp_db_param *params,
					   int nparams, int64_t *value, bool *found,
					   struct vp_error *err);

/* A paged read: one query whose rows become records of `size` bytes each. */
struct vp_registry_page {
	const char *sql;
	struct vp_db_param params[4];
	int nparams;
	size_t size;
	vp_registry_row_fn read_row;
};

/*
 * Run page->sql in a read transaction and put its first `max` rows into out[]
 * (records of page->size bytes), *count how many. *more (may be NULL) gets
 * whether another row followed them: the query's LIMIT must then allow
 * max + 1. The rows go to a scratch array first, so a failure leaves out[] and
 * *count untouched. VP_ERR_INVALID when max is not 1..VP_REGISTRY_PAGE_MAX.
 */
VP_NODISCARD vp_code vp_registry_read_page(struct vp_registry *reg,
					   const struct vp_registry_page *page, void *out,
					   size_t max, size_t *count, bool *more,
					   struct vp_error *err);

/* VP_ERR_INVALID "page size ... is not 1..1000" unless max is 1..VP_REGISTRY_PAGE_MAX. */
VP_NODISCARD vp_code vp_registry_check_page(size_t max, struct vp_error *err);

/* ---- check.c: input checks ---- */

/* An optional bounded printable string: NULL is accepted as "". `what` names it. */
VP_NODISCARD vp_code vp_registry_check_field(const char *value, size_t max, const char *what,
					     struct vp_error *err);

/* Fields for vp_registry_check_fields(): each checked as vp_registry_check_field() does. */
struct vp_registry_field {
	const char *value; /* NULL: "" */
	size_t max;
	const char *what;
};

/* Each field in turn; the first that fails gives the error. */
VP_NODISCARD vp_code vp_registry_check_fields(const struct vp_registry_field *fields, size_t count,
					      struct vp_error *err);

/*
 * A JSON object given as text (NULL: {}), with `extra` (may be NULL) merged
 * in, as compact sorted text of at most `max` bytes into out[max + 1].
 * VP_ERR_INVALID naming `what` for text that is not a JSON object or too long.
 */
VP_NODISCARD vp_code vp_registry_json_text(const char *text, json_t *extra, size_t max,
					   const char *what, char *out, struct vp_error *err);

/* ---- calls into another file's tables, inside the caller's transaction ---- */

/* events.c: append an event (n 0 for an account's event; request_id NULL as ""). */
VP_NODISCARD vp_code vp_registry_add_event(struct vp_registry *reg, struct vp_db_conn *conn,
					   int64_t at, int64_t n, const char *account,
					   const char *type, const char *detail,
					   const char *request_id, struct vp_error *err);

/* events.c: the same with the detail as a JSON object, taken (released here). */
VP_NODISCARD vp_code vp_registry_add_event_json(struct vp_registry *reg, struct vp_db_conn *conn,
						int64_t at, int64_t n, const char *account,
						const char *type, json_t *detail,
						const char *request_id, struct vp_error *err);

/* accounts.c: make sure the account has a row (a new one: no role, not granted). */
VP_NODISCARD vp_code vp_registry_account_ensure(struct vp_registry *reg, struct vp_db_conn *conn,
						const char *account, int64_t at,
						struct vp_error *err);

/* accounts.c: the account's row; *found false when none. */
VP_NODISCARD vp_code vp_registry_query_account(struct vp_registry *reg, struct vp_db_conn *conn,
					       const char *account, struct vp_account_record *out,
					       bool *found, struct vp_error *err);

/* allocate.c: put a released n in quarantine from `at` (reclaimed by a later allocation). */
VP_NODISCARD vp_code vp_registry_quarantine(struct vp_registry *reg, struct vp_db_conn *conn,
					    int64_t n, int64_t at, struct vp_error *err);

/* allocate.c: take n out of the free list and the quarantine (adoption: n is held again). */
VP_NODISCARD vp_code vp_registry_hold_n(struct vp_registry *reg, struct vp_db_conn *conn, int64_t n,
					struct vp_error *err);

/* namespaces.c: the live record of (account, client_ref); *found false when none. */
VP_NODISCARD vp_code vp_registry_query_live_ref(struct vp_registry *reg, struct vp_db_conn *conn,
						const char *account, const char *client_ref,
						struct vp_namespace_record *out, bool *found,
						struct vp_error *err);

/* migrations.c: at open, refuse a schema newer than the program and, when
 * opts.migrate, apply the pending migrations. */
VP_NODISCARD vp_code vp_registry_schema_open(struct vp_registry *reg, struct vp_error *err);

/* lock.c: the named locks' state in a new handle, and its teardown at close
 * (no lock may be held then). */
void vp_registry_locks_init(struct vp_registry *reg);
void vp_registry_locks_cleanup(struct vp_registry *reg);

#endif
