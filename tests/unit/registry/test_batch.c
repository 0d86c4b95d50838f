/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Group commit (src/registry/batch.c), argv[1]: sqlite or postgres. Each test
 * builds one batch of known items in a known order, without timing: a "gate"
 * write holds the handle's batch open until the items have queued behind it
 * (each queued before the next starts, waiting on the handle's queued_cv),
 * then the items run as the next batch, and the handle's batch counter shows
 * they ran as one.
 * - a failed item (an illegal transition, an SQL error) fails alone: the
 *   allocations around it succeed, its own writes are undone;
 * - the same client_ref twice in one batch: one record, the replay sees it;
 * - allocations in one batch take the lowest usable n each, whether the n the
 *   previous one suggests (PostgreSQL's one-statement path) is reserved or a
 *   release inside the batch returned a lower n;
 * - a process killed inside a batch (between two items, and in its last item,
 *   before COMMIT): nothing of the batch is visible, the database is
 *   consistent (integrity_check; free list, live and quarantined n's cover
 *   1..2^53-1 once) and the next allocation takes the lowest n.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/internal.h"
#include "registry_test.h"

#define ACCOUNT     "123456789012"
#define MAX_ITEMS   8
#define FREE_TOP    9007199254740991LL /* the free list's first run is 1..FREE_TOP */
#define MAX_RANGES  256
#define SQL_ACCOUNT "999999999999" /* the account the failing SQL item inserts */

/* ---- the gate: a write that holds its batch open until `want` items queue behind it ---- */

struct gate {
	struct vp_registry *reg;
	int want;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running;
};

static vp_code gate_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx,
		       struct vp_error *err)
{
	struct gate *g = ctx;
	(void)conn;
	(void)err;
	pthread_mutex_lock(&g->mu);
	g->running = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_mutex_lock(&reg->mu);
	while (reg->queued < g->want)
		pthread_cond_wait(&reg->queued_cv, &reg->mu);
	pthread_mutex_unlock(&reg->mu);
	return VP_OK;
}

static void *gate_main(void *p)
{
	struct gate *g = p;
	if (vp_registry_run_tx(g->reg, true, VP_DB_LOCK_NONE, gate_tx, g, NULL) != VP_OK)
		fail_msg("the gate's batch failed");
	return NULL;
}

/* ---- the items ---- */

enum op_kind { OP_ALLOC, OP_TRANSITION, OP_SQL_FAIL, OP_KILL };

struct op {
	enum op_kind kind;
	const char *ref;     /* OP_ALLOC */
	int64_t n;           /* OP_TRANSITION */
	unsigned from;       /* OP_TRANSITION */
	enum vp_ns_state to; /* OP_TRANSITION */
	struct vp_registry *reg;
	vp_code code;
	bool created;
	struct vp_namespace_record rec;
	struct vp_error err;
};

/* Writes an account row, then fails with an SQL error: its savepoint must undo the row. */
static vp_code sql_fail_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx,
			   struct vp_error *err)
{
	vp_code code = vp_registry_account_ensure(reg, conn, SQL_ACCOUNT, 1, err);
	(void)ctx;
	if (code != VP_OK)
		return code;
	return reg->ops->exec(conn, "UPDATE accounts SET no_such_column = 1", NULL, 0, NULL, err);
}

/* Dies as a process killed at this point of the batch would. */
static vp_code kill_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx,
		       struct vp_error *err)
{
	(void)reg;
	(void)conn;
	(void)ctx;
	(void)err;
	kill(getpid(), SIGKILL);
	_exit(137);
}

static void *op_main(void *p)
{
	struct op *o = p;

	switch (o->kind) {
	case OP_ALLOC:
		o->code = vp_registry_allocate(o->reg, ACCOUNT, o->ref, NULL, NULL, 0, &o->rec,
					       &o->created, &o->err);
		break;
	case OP_TRANSITION:
		o->code = vp_registry_transition(o->reg, o->n, o->from, o->to, NULL, NULL, &o->rec,
						 &o->err);
		break;
	case OP_SQL_FAIL:
		o->code = vp_registry_run_tx(o->reg, true, VP_DB_LOCK_NONE, sql_fail_tx, NULL,
					     &o->err);
		break;
	case OP_KILL:
		o->code = vp_registry_run_tx(o->reg, true, VP_DB_LOCK_NONE, kill_tx, NULL, &o->err);
		break;
	}
	return NULL;
}

static void wait_queued(struct vp_registry *reg, int count)
{
	pthread_mutex_lock(&reg->mu);
	while (reg->queued < count)
		pthread_cond_wait(&reg->queued_cv, &reg->mu);
	pthread_mutex_unlock(&reg->mu);
}

/*
 * Run ops[0..count) as one batch, in that order, and wait for their results.
 * Returns how many batches the handle ran meanwhile (2: the gate's and theirs).
 */
static uint64_t run_batch_of(struct vp_registry *reg, struct op *ops, int count)
{
	struct gate g = {.reg = reg, .want = count};
	pthread_t gate, threads[MAX_ITEMS];
	uint64_t before;

	assert_true(count <= MAX_ITEMS);
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	pthread_mutex_lock(&reg->mu);
	before = reg->batches;
	pthread_mutex_unlock(&reg->mu);
	assert_int_equal(pthread_create(&gate, NULL, gate_main, &g), 0);
	pthread_mutex_lock(&g.mu);
	while (!g.running)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);
	for (int i = 0; i < count; i++) {
		ops[i].reg = reg;
		assert_int_equal(pthread_create(&threads[i], NULL, op_main, &ops[i]), 0);
		/* Queued in this order. Not after the last: the gate then lets its batch end,
		 * and the items may be taken off the queue before this thread looks. */
		if (i + 1 < count)
			wait_queued(reg, i + 1);
	}
	for (int i = 0; i < count; i++)
		pthread_join(threads[i], NULL);
	pthread_join(gate, NULL);
	pthread_mutex_destroy(&g.mu);
	pthread_cond_destroy(&g.cv);
	pthread_mutex_lock(&reg->mu);
	before = reg->batches - before;
	pthread_mutex_unlock(&reg->mu);
	return before;
}

static struct vp_registry *open_reg(char *url, size_t size)
{
	struct vp_registry_options opts;
	reg_test_options(&opts);
	opts.pool_size = 4;
	return reg_test_open(&opts, url, size);
}

static struct vp_namespace_record *allocate_one(struct vp_registry *reg, const char *ref)
{
	static struct vp_namespace_record rec;
	bool created = false;
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT, ref, NULL, NULL, 0, &rec, &created, NULL),
		VP_OK);
	assert_true(created);
	return &rec;
}

/* ---- a failed item fails alone; a replay inside the batch gets the record ---- */

static void test_failed_item_alone(void **state)
{
	static struct op ops[6];
	struct vp_namespace_record rec;
	struct vp_account_record acct;
	struct vp_error err;
	char url[1024];
	struct vp_registry *reg = open_reg(url, sizeof(url));
	(void)state;

	assert_int_equal(allocate_one(reg, "pre")->n, 1);
	memset(ops, 0, sizeof(ops));
	ops[0] = (struct op){.kind = OP_ALLOC, .ref = "a"};
	/* pending -> released is illegal: a business refusal inside the batch. */
	ops[1] = (struct op){.kind = OP_TRANSITION,
			     .n = 1,
			     .from = VP_NS_STATE_BIT(VP_NS_PENDING),
			     .to = VP_NS_RELEASED};
	ops[2] = (struct op){.kind = OP_ALLOC, .ref = "b"};
	ops[3] = (struct op){.kind = OP_SQL_FAIL};
	ops[4] = (struct op){.kind = OP_ALLOC, .ref = "a"}; /* the replay */
	ops[5] = (struct op){.kind = OP_ALLOC, .ref = "c"};
	assert_int_equal(run_batch_of(reg, ops, 6), 2);

	assert_int_equal(ops[0].code, VP_OK);
	assert_true(ops[0].created);
	assert_int_equal(ops[0].rec.n, 2);
	assert_int_equal(ops[1].code, VP_ERR_CONFLICT);
	/* The same refusal, word for word, as the call gives on its own. */
	assert_int_equal(vp_registry_transition(reg, 1, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_RELEASED, NULL, NULL, NULL, &err),
			 VP_ERR_CONFLICT);
	assert_string_equal(ops[1].err.message, err.message);
	assert_int_equal(ops[2].code, VP_OK);
	assert_int_equal(ops[2].rec.n, 3);
	assert_int_equal(ops[3].code, VP_ERR_DB);
	assert_int_equal(ops[4].code, VP_OK);
	assert_false(ops[4].created);
	assert_int_equal(ops[4].rec.id, ops[0].rec.id);
	assert_int_equal(ops[4].rec.n, 2);
	assert_int_equal(ops[5].code, VP_OK);
	assert_int_equal(ops[5].rec.n, 4);

	/* Durable and as answered: n = 1 untouched, the failed SQL item's row undone. */
	assert_int_equal(vp_registry_get(reg, 1, &rec, NULL), VP_OK);
	assert_int_equal(rec.state, VP_NS_PENDING);
	for (int64_t n = 2; n <= 4; n++) {
		assert_int_equal(vp_registry_get(reg, n, &rec, NULL), VP_OK);
		assert_int_equal(rec.state, VP_NS_PENDING);
	}
	assert_int_equal(vp_registry_account_get(reg, SQL_ACCOUNT, &acct, NULL), VP_ERR_NOT_FOUND);
	assert_int_equal(allocate_one(reg, "next")->n, 5);
	vp_registry_close(reg);
}

/* ---- the lowest usable n, item after item ---- */

static void reserve(struct vp_registry_options *opts, const char *cidr)
{
	struct vp_cidr c;
	assert_int_equal(vp_cidr_parse(cidr, strlen(cidr), &c, NULL), VP_OK);
	assert_int_equal(vp_plan_reserve(&opts->plan, c, NULL), VP_OK);
}

static void check_cover(struct vp_registry *reg, int64_t live);

static void test_lowest_n_in_batch(void **state)
{
	static struct op ops[MAX_ITEMS];
	static const int64_t expect[] = {2, 3, 5, 6, 0, 0, 1, 2};
	struct vp_registry_options opts;
	struct vp_registry *reg;
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	opts.pool_size = 4;
	opts.quarantine_seconds = 0;    /* a released n is free again at once */
	reserve(&opts, "10.0.16.0/22"); /* n = 4 */
	reg = reg_test_open(&opts, url, sizeof(url));
	assert_int_equal(allocate_one(reg, "pre")->n, 1);
	memset(ops, 0, sizeof(ops));
	ops[0] = (struct op){.kind = OP_ALLOC, .ref = "a"}; /* 2 */
	ops[1] = (struct op){.kind = OP_ALLOC, .ref = "b"}; /* 3: the n after 2 */
	ops[2] = (struct op){.kind = OP_ALLOC, .ref = "c"}; /* 5: the n after 3 is reserved */
	ops[3] = (struct op){.kind = OP_ALLOC, .ref = "d"}; /* 6 */
	ops[4] = (struct op){.kind = OP_TRANSITION,
			     .n = 1,
			     .from = VP_NS_STATE_BIT(VP_NS_PENDING),
			     .to = VP_NS_RELEASING};
	ops[5] = (struct op){.kind = OP_TRANSITION,
			     .n = 1,
			     .from = VP_NS_STATE_BIT(VP_NS_RELEASING),
			     .to = VP_NS_RELEASED};
	ops[6] = (struct op){.kind = OP_ALLOC, .ref = "e"}; /* 1, back from quarantine, not 7 */
	ops[7] = (struct op){.kind = OP_ALLOC, .ref = "a"}; /* the replay: 2 */
	assert_int_equal(run_batch_of(reg, ops, MAX_ITEMS), 2);
	for (int i = 0; i < MAX_ITEMS; i++) {
		assert_int_equal(ops[i].code, VP_OK);
		if (ops[i].kind == OP_ALLOC) {
			assert_int_equal(ops[i].rec.n, expect[i]);
			assert_int_equal(ops[i].created, i != 7);
		}
	}
	assert_int_equal(ops[7].rec.id, ops[0].rec.id);
	assert_int_equal(allocate_one(reg, "f")->n, 7);
	check_cover(reg, 6); /* a, b, c, d, e, f */
	vp_registry_close(reg);
}

/* ---- the registry's consistency, read in one transaction ---- */

struct cover {
	int64_t lo[MAX_RANGES], hi[MAX_RANGES];
	int ranges;
	int64_t free_total, live, quarantined, clashes;
	bool disjoint;
};

static bool in_free(const struct cover *c, int64_t n)
{
	for (int i = 0; i < c->ranges; i++)
		if (n >= c->lo[i] && n <= c->hi[i])
			return true;
	return false;
}

/* Count the rows of sql, each n (column 0) checked against the free list. */
static vp_code count_held(struct vp_registry *reg, struct vp_db_conn *conn, const char *sql,
			  struct cover *c, int64_t *count, struct vp_error *err)
{
	struct vp_db_rows *rows;
	vp_code code = reg->ops->query(conn, sql, NULL, 0, &rows, err);
	int got;

	if (code != VP_OK)
		return code;
	while ((got = reg->ops->next(rows, err)) > 0) {
		(*count)++;
		if (in_free(c, reg->ops->get_int(rows, 0)))
			c->clashes++;
	}
	reg->ops->finish(rows);
	return got < 0 ? VP_ERR_DB : VP_OK;
}

static vp_code cover_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx,
			struct vp_error *err)
{
	struct cover *c = ctx;
	struct vp_db_rows *rows;
	int64_t both = 0;
	vp_code code = reg->ops->query(conn, "SELECT lo, hi FROM free_ranges ORDER BY hi", NULL, 0,
				       &rows, err);
	int got;

	if (code != VP_OK)
		return code;
	memset(c, 0, sizeof(*c));
	c->disjoint = true;
	while ((got = reg->ops->next(rows, err)) > 0 && c->ranges < MAX_RANGES) {
		int64_t lo = reg->ops->get_int(rows, 0), hi = reg->ops->get_int(rows, 1);
		if (lo > hi || (c->ranges > 0 && lo <= c->hi[c->ranges - 1]))
			c->disjoint = false;
		c->lo[c->ranges] = lo;
		c->hi[c->ranges++] = hi;
		c->free_total += hi - lo + 1;
	}
	reg->ops->finish(rows);
	if (got != 0)
		return VP_ERR_DB;
	if ((code = count_held(reg, conn, "SELECT n FROM namespaces WHERE state <> 'released'", c,
			       &c->live, err)) != VP_OK ||
	    (code = count_held(reg, conn, "SELECT n FROM quarantine", c, &c->quarantined, err)) !=
		    VP_OK ||
	    (code = vp_registry_query_int(reg, conn,
					  "SELECT count(*) FROM quarantine q JOIN namespaces s "
					  "ON s.n = q.n AND s.state <> 'released'",
					  NULL, 0, &both, NULL, err)) != VP_OK)
		return code;
	c->clashes += both;
	return VP_OK;
}

/* Free list, live and quarantined n's cover 1..FREE_TOP exactly once. */
static void check_cover(struct vp_registry *reg, int64_t live)
{
	static struct cover c;

	assert_int_equal(vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, cover_tx, &c, NULL),
			 VP_OK);
	assert_true(c.disjoint);
	assert_int_equal(c.clashes, 0);
	assert_int_equal(c.live, live);
	assert_int_equal(c.free_total + c.live + c.quarantined, FREE_TOP);
}

/* ---- a process killed inside a batch ---- */

/* The child: one committed allocation (n = 1), then the batch ops, which include OP_KILL. */
static void crash_child(const char *url, struct op *ops, int count)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = NULL;

	reg_test_options(&opts);
	opts.pool_size = 4;
	if (vp_registry_open(url, &opts, &reg, NULL) != VP_OK)
		_exit(1);
	if (allocate_one(reg, "pre")->n != 1)
		_exit(1);
	vp_ignore(run_batch_of(reg, ops, count));
	_exit(2); /* not reached: the batch kills the process */
}

static void crash_in_batch(int kill_at, int count)
{
	static struct op ops[MAX_ITEMS];
	static const char *refs[] = {"x1", "x2", "x3", "x4"};
	struct vp_namespace_record rec;
	struct vp_registry *reg;
	char url[1024];
	int status = 0, next_ref = 0;
	pid_t pid;

	reg = open_reg(url, sizeof(url)); /* migrated before the child starts */
	vp_registry_close(reg);
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < count; i++) {
		if (i == kill_at)
			ops[i] = (struct op){.kind = OP_KILL};
		else if (i == 1) /* a change of a committed record, lost with the batch */
			ops[i] = (struct op){.kind = OP_TRANSITION,
					     .n = 1,
					     .from = VP_NS_STATE_BIT(VP_NS_PENDING),
					     .to = VP_NS_ACTIVE};
		else
			ops[i] = (struct op){.kind = OP_ALLOC, .ref = refs[next_ref++]};
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(url, ops, count);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	if (!reg_test_postgres())
		reg_test_integrity(url);
	struct vp_registry_options opts;
	reg_test_options(&opts);
	assert_int_equal(vp_registry_open(url, &opts, &reg, NULL), VP_OK);
	/*
	 * PostgreSQL: the killed child's session may still be ending. An
	 * allocation waits for its allocation lock, so what is read after it is
	 * settled; it must take n = 2, the lowest after the committed n = 1.
	 */
	assert_int_equal(allocate_one(reg, "after")->n, 2);
	for (int i = 0; i < next_ref; i++)
		assert_int_equal(vp_registry_find(reg, ACCOUNT, refs[i], &rec, NULL),
				 VP_ERR_NOT_FOUND);
	assert_int_equal(vp_registry_get(reg, 1, &rec, NULL), VP_OK);
	assert_int_equal(rec.state, VP_NS_PENDING);
	check_cover(reg, 2);
	vp_registry_close(reg);
}

static void test_crash_between_items(void **state)
{
	(void)state;
	crash_in_batch(3, 5); /* alloc, transition, alloc, KILL, alloc */
}

static void test_crash_before_commit(void **state)
{
	(void)state;
	crash_in_batch(4, 5); /* alloc, transition, alloc, alloc, KILL: the last item */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_item_alone),
		cmocka_unit_test(test_lowest_n_in_batch),
		cmocka_unit_test(test_crash_between_items),
		cmocka_unit_test(test_crash_before_commit),
	};
	reg_test_setup(argc, argv);
	return cmocka_run_group_tests_name(reg_test_backend(), tests, NULL, NULL);
}
