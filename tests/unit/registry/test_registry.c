/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry's behaviour, run against one backend (argv[1]: sqlite or
 * postgres): allocation, idempotency, every transition, quarantine, capacity,
 * reserved ranges, listing, accounts, events, migrations, bad input, threads.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry_test.h"

#define ACCOUNT_A "111111111111"
#define ACCOUNT_B "222222222222"

static char url[1024];

static struct vp_registry *open_with(struct vp_registry_options *opts)
{
	return reg_test_open(opts, url, sizeof(url));
}

static struct vp_registry *open_default(void)
{
	struct vp_registry_options opts;
	reg_test_options(&opts);
	return open_with(&opts);
}

static int64_t alloc(struct vp_registry *reg, const char *account, const char *ref)
{
	struct vp_namespace_record rec;
	struct vp_error err;
	bool created = false;

	if (vp_registry_allocate(reg, account, ref, NULL, "req", 0, &rec, &created, &err) != VP_OK)
		fail_msg("allocate %s %s: %s", account, ref, err.message);
	assert_true(created);
	return rec.n;
}

static void move(struct vp_registry *reg, int64_t n, enum vp_ns_state to)
{
	struct vp_error err;
	if (vp_registry_transition(reg, n, VP_NS_STATES_ALL, to, NULL, "req", NULL, &err) != VP_OK)
		fail_msg("move %lld to %s: %s", (long long)n, vp_registry_state_name(to),
			 err.message);
}

static size_t event_count(struct vp_registry *reg, int64_t n)
{
	static struct vp_event_record events[100];
	size_t count = 0;
	assert_int_equal(vp_registry_events(reg, n, 0, events, 100, &count, NULL), VP_OK);
	return count;
}

static void test_allocate_lowest_from_empty(void **state)
{
	struct vp_registry *reg = open_default();
	struct vp_namespace_record rec;
	bool created = false;
	int64_t count = 0;
	(void)state;

	assert_int_equal(vp_registry_allocate(reg, ACCOUNT_A, "stack-1/Registration",
					      "{\"env\":\"test\",\"app\":\"x\"}", "req-1", 3600,
					      &rec, &created, NULL),
			 VP_OK);
	assert_true(created);
	assert_int_equal(rec.n, 1);
	assert_string_equal(rec.account, ACCOUNT_A);
	assert_string_equal(rec.client_ref, "stack-1/Registration");
	assert_int_equal(rec.state, VP_NS_PENDING);
	assert_string_equal(rec.vpc_cidr, "10.0.4.0/22");
	assert_string_equal(rec.labels, "{\"app\":\"x\",\"env\":\"test\"}");
	assert_int_equal(rec.created_at, reg_test_now);
	assert_int_equal(rec.expires_at, reg_test_now + 3600);
	assert_int_equal(rec.released_at, 0);
	assert_string_equal(rec.request_id, "req-1");
	for (int i = 2; i <= 5; i++) {
		char ref[32];
		snprintf(ref, sizeof(ref), "stack-%d", i);
		assert_int_equal(alloc(reg, ACCOUNT_A, ref), i);
	}
	assert_int_equal(vp_registry_count_live(reg, &count, NULL), VP_OK);
	assert_int_equal(count, 5);
	assert_int_equal(vp_registry_get(reg, 300, &rec, NULL), VP_ERR_NOT_FOUND);
	assert_int_equal(vp_registry_get(reg, 2, &rec, NULL), VP_OK);
	assert_string_equal(rec.vpc_cidr, "10.0.8.0/22");
	vp_registry_close(reg);
}

static void test_idempotent(void **state)
{
	struct vp_registry *reg = open_default();
	struct vp_namespace_record first, again, other;
	bool created = true;
	int64_t count = 0;
	(void)state;

	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "key", NULL, "r1", 0, &first, &created, NULL),
		VP_OK);
	assert_true(created);
	reg_test_now += 5;
	assert_int_equal(vp_registry_allocate(reg, ACCOUNT_A, "key", "{\"x\":1}", "r2", 0, &again,
					      &created, NULL),
			 VP_OK);
	assert_false(created);
	assert_int_equal(again.n, first.n);
	assert_int_equal(again.id, first.id);
	assert_string_equal(again.request_id, "r1"); /* nothing was written */
	/* The same key in another account is another namespace. */
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_B, "key", NULL, "r3", 0, &other, &created, NULL),
		VP_OK);
	assert_true(created);
	assert_int_equal(other.n, first.n + 1);
	assert_int_equal(vp_registry_count_live(reg, &count, NULL), VP_OK);
	assert_int_equal(count, 2);
	assert_int_equal(vp_registry_count_live_account(reg, ACCOUNT_A, &count, NULL), VP_OK);
	assert_int_equal(count, 1);
	assert_int_equal(event_count(reg, first.n), 1);
	assert_int_equal(vp_registry_find(reg, ACCOUNT_B, "key", &again, NULL), VP_OK);
	assert_int_equal(again.n, other.n);
	assert_int_equal(vp_registry_find(reg, ACCOUNT_B, "nope", &again, NULL), VP_ERR_NOT_FOUND);
	/* After release the key is free again: a new namespace. */
	move(reg, first.n, VP_NS_RELEASING);
	move(reg, first.n, VP_NS_RELEASED);
	assert_int_equal(vp_registry_find(reg, ACCOUNT_A, "key", &again, NULL), VP_ERR_NOT_FOUND);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "key", NULL, "r4", 0, &again, &created, NULL),
		VP_OK);
	assert_true(created);
	assert_int_not_equal(again.id, first.id);
	vp_registry_close(reg);
}

/* Schema v3: the registering principal is kept with the record, on every allocation path. */
static void test_principal_recorded(void **state)
{
	const char *role = "arn:aws:iam::" ACCOUNT_A ":role/team";
	struct vp_registry *reg = open_default();
	struct vp_namespace_record rec, got;
	struct vp_error err;
	bool created = false;
	char ref[16];
	(void)state;

	for (int i = 0; i < 3; i++) { /* the second and third: PostgreSQL's one-statement path */
		snprintf(ref, sizeof(ref), "p-%d", i);
		assert_int_equal(vp_registry_allocate_by(reg, ACCOUNT_A, role, ref, NULL, "r", 0,
							 &rec, &created, &err),
				 VP_OK);
		assert_true(created);
		assert_string_equal(rec.principal, role);
		assert_int_equal(vp_registry_get(reg, rec.n, &got, NULL), VP_OK);
		assert_string_equal(got.principal, role);
	}
	/* a replay by another principal returns the record as it was */
	assert_int_equal(vp_registry_allocate_by(reg, ACCOUNT_A,
						 "arn:aws:iam::" ACCOUNT_A ":user/x", "p-0", NULL,
						 "r", 0, &rec, &created, NULL),
			 VP_OK);
	assert_false(created);
	assert_string_equal(rec.principal, role);
	/* without one (and adopted records): "" */
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "none", NULL, "r", 0, &rec, &created, NULL),
		VP_OK);
	assert_string_equal(rec.principal, "");
	assert_int_equal(vp_registry_allocate_by(reg, ACCOUNT_A, "arn\x01", "bad", NULL, "r", 0,
						 &rec, &created, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "principal"));
	vp_registry_close(reg);
}

/* Bring a new namespace into `target` by legal steps. */
static int64_t namespace_in(struct vp_registry *reg, enum vp_ns_state target, int *serial)
{
	char ref[32];
	int64_t n;

	snprintf(ref, sizeof(ref), "ref-%d", (*serial)++);
	n = alloc(reg, ACCOUNT_A, ref);
	switch (target) {
	case VP_NS_PENDING:
		break;
	case VP_NS_ACTIVE:
	case VP_NS_FAILED:
	case VP_NS_RELEASING:
		move(reg, n, target);
		break;
	case VP_NS_RELEASED:
		move(reg, n, VP_NS_RELEASING);
		move(reg, n, VP_NS_RELEASED);
		break;
	}
	return n;
}

static void test_every_transition(void **state)
{
	static const bool legal[VP_NS_STATE_COUNT][VP_NS_STATE_COUNT] = {
		[VP_NS_PENDING] =
			{[VP_NS_ACTIVE] = true, [VP_NS_FAILED] = true, [VP_NS_RELEASING] = true},
		[VP_NS_ACTIVE] = {[VP_NS_FAILED] = true, [VP_NS_RELEASING] = true},
		[VP_NS_FAILED] = {[VP_NS_RELEASING] = true},
		[VP_NS_RELEASING] = {[VP_NS_RELEASED] = true},
	};
	struct vp_registry *reg = open_default();
	int serial = 0, checked = 0;
	(void)state;

	for (int from = 0; from < VP_NS_STATE_COUNT; from++) {
		for (int to = 0; to < VP_NS_STATE_COUNT; to++) {
			struct vp_namespace_record before, after, out;
			struct vp_error err;
			int64_t n = namespace_in(reg, (enum vp_ns_state)from, &serial);
			size_t events = event_count(reg, n);
			vp_code code;

			assert_int_equal(vp_registry_get(reg, n, &before, NULL), VP_OK);
			assert_int_equal(before.state, from);
			reg_test_now++;
			code = vp_registry_transition(reg, n, VP_NS_STATES_ALL,
						      (enum vp_ns_state)to, NULL, "t", &out, &err);
			assert_int_equal(vp_registry_get(reg, n, &after, NULL), VP_OK);
			if (legal[from][to]) {
				if (code != VP_OK)
					fail_msg("%s -> %s: %s", vp_registry_state_name(from),
						 vp_registry_state_name(to), err.message);
				assert_int_equal(after.state, to);
				assert_int_equal(out.state, to);
				assert_int_equal(after.updated_at, reg_test_now);
				assert_int_equal(event_count(reg, n), events + 1);
				if (to == VP_NS_RELEASED)
					assert_int_equal(after.released_at, reg_test_now);
			} else {
				assert_int_equal(code, VP_ERR_CONFLICT);
				assert_non_null(strstr(err.message, vp_registry_state_name(from)));
				assert_non_null(strstr(err.message, vp_registry_state_name(to)));
				assert_memory_equal(&before, &after, sizeof(before));
				assert_int_equal(event_count(reg, n), events);
			}
			checked++;
		}
	}
	assert_int_equal(checked, 25);
	vp_registry_close(reg);
}

static void test_transition_fields_and_expectation(void **state)
{
	struct vp_registry *reg = open_default();
	struct vp_registry_change change = {.peering_id = "pcx-0123456789abcdef0",
					    .vpc_id = "vpc-0fedcba9876543210",
					    .detail = "{\"checked\":true}"};
	struct vp_namespace_record rec;
	struct vp_event_record events[4];
	struct vp_error err;
	bool created;
	size_t count = 0;
	(void)state;

	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "s", NULL, "r", 600, &rec, &created, NULL),
		VP_OK);
	/* Expecting active while it is pending: refused, nothing written. */
	assert_int_equal(vp_registry_transition(reg, rec.n, VP_NS_STATE_BIT(VP_NS_ACTIVE),
						VP_NS_RELEASING, NULL, "x", NULL, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "is pending, not active"));
	assert_int_equal(vp_registry_transition(reg, rec.n, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_ACTIVE, &change, "confirm-1", &rec, &err),
			 VP_OK);
	assert_int_equal(vp_registry_get(reg, rec.n, &rec, NULL), VP_OK);
	assert_int_equal(rec.state, VP_NS_ACTIVE);
	assert_string_equal(rec.peering_id, "pcx-0123456789abcdef0");
	assert_string_equal(rec.vpc_id, "vpc-0fedcba9876543210");
	assert_int_equal(rec.expires_at, 0); /* the TTL ends with pending */
	assert_string_equal(rec.request_id, "confirm-1");
	assert_int_equal(vp_registry_events(reg, rec.n, 0, events, 4, &count, NULL), VP_OK);
	assert_int_equal(count, 2);
	assert_string_equal(events[0].type, "allocated");
	assert_string_equal(events[1].type, "active");
	assert_string_equal(events[1].detail,
			    "{\"checked\":true,\"from\":\"pending\",\"to\":\"active\"}");
	assert_string_equal(events[1].request_id, "confirm-1");
	assert_string_equal(events[1].account, ACCOUNT_A);
	/* Fields left NULL stay as they are. */
	move(reg, rec.n, VP_NS_FAILED);
	assert_int_equal(vp_registry_get(reg, rec.n, &rec, NULL), VP_OK);
	assert_string_equal(rec.peering_id, "pcx-0123456789abcdef0");
	assert_int_equal(vp_registry_transition(reg, 999, VP_NS_STATES_ALL, VP_NS_ACTIVE, NULL, "x",
						NULL, &err),
			 VP_ERR_NOT_FOUND);
	change.detail = "[1]";
	assert_int_equal(vp_registry_transition(reg, rec.n, VP_NS_STATES_ALL, VP_NS_RELEASING,
						&change, "x", NULL, &err),
			 VP_ERR_INVALID);
	vp_registry_close(reg);
}

/* The history newest first, filtered and paged (GET /v1/events, the hub page: issue 17). */
static void test_events_recent(void **state)
{
	struct vp_registry *reg = open_default();
	struct vp_namespace_record a, b;
	struct vp_event_record events[8];
	struct vp_error err;
	size_t count = 0;
	bool created;
	(void)state;

	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "a", NULL, "r1", 0, &a, &created, NULL),
		VP_OK);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_B, "b", NULL, "r2", 0, &b, &created, NULL),
		VP_OK);
	move(reg, a.n, VP_NS_ACTIVE);
	/* All, newest first: a's "active", b's and a's "allocated". */
	assert_int_equal(vp_registry_events_recent(reg, 0, NULL, 0, events, 8, &count, &err),
			 VP_OK);
	assert_int_equal(count, 3);
	assert_string_equal(events[0].type, "active");
	assert_true(events[0].id > events[1].id && events[1].id > events[2].id);
	/* A page of one, then the next below its id. */
	assert_int_equal(
		vp_registry_events_recent(reg, 0, "", events[1].id, events, 8, &count, &err),
		VP_OK);
	assert_int_equal(count, 1);
	assert_int_equal(events[0].n, a.n);
	assert_string_equal(events[0].type, "allocated");
	/* By namespace, by account, both. */
	assert_int_equal(vp_registry_events_recent(reg, a.n, NULL, 0, events, 8, &count, &err),
			 VP_OK);
	assert_int_equal(count, 2);
	assert_int_equal(vp_registry_events_recent(reg, 0, ACCOUNT_B, 0, events, 8, &count, &err),
			 VP_OK);
	assert_int_equal(count, 1);
	assert_int_equal(events[0].n, b.n);
	assert_int_equal(vp_registry_events_recent(reg, a.n, ACCOUNT_B, 0, events, 8, &count, &err),
			 VP_OK);
	assert_int_equal(count, 0);
	vp_registry_close(reg);
}

static void test_quarantine(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	(void)state;

	reg_test_options(&opts);
	opts.quarantine_seconds = 100;
	reg = open_with(&opts);
	assert_int_equal(alloc(reg, ACCOUNT_A, "a"), 1);
	assert_int_equal(alloc(reg, ACCOUNT_A, "b"), 2);
	move(reg, 1, VP_NS_RELEASING);
	move(reg, 1, VP_NS_RELEASED);
	assert_int_equal(alloc(reg, ACCOUNT_A, "c"), 3); /* 1 is in quarantine */
	reg_test_now += 99;
	assert_int_equal(alloc(reg, ACCOUNT_A, "d"), 4);
	reg_test_now += 1;
	assert_int_equal(alloc(reg, ACCOUNT_A, "e"), 1); /* quarantine over */
	assert_int_equal(alloc(reg, ACCOUNT_A, "f"), 5);
	vp_registry_close(reg);
}

/* Released n's come back in order; the free list merges around them. */
static void test_reuse_merges_free_ranges(void **state)
{
	static const int64_t release[] = {3, 4, 5, 7, 9, 8, 10};
	static const int64_t expect[] = {3, 4, 5, 7, 8, 9, 10, 13, 14};
	struct vp_registry_options opts;
	struct vp_registry *reg;
	char ref[16];
	(void)state;

	reg_test_options(&opts);
	opts.quarantine_seconds = 0;
	reg = open_with(&opts);
	for (int i = 1; i <= 12; i++) {
		snprintf(ref, sizeof(ref), "r%d", i);
		assert_int_equal(alloc(reg, ACCOUNT_A, ref), i);
	}
	for (size_t i = 0; i < sizeof(release) / sizeof(release[0]); i++) {
		move(reg, release[i], VP_NS_RELEASING);
		move(reg, release[i], VP_NS_RELEASED);
	}
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		snprintf(ref, sizeof(ref), "again%zu", i);
		assert_int_equal(alloc(reg, ACCOUNT_B, ref), expect[i]);
	}
	/* n = 3 has had two records: events of both, get gives the live one. */
	struct vp_namespace_record rec;
	assert_int_equal(vp_registry_get(reg, 3, &rec, NULL), VP_OK);
	assert_string_equal(rec.account, ACCOUNT_B);
	assert_int_equal(event_count(reg, 3), 4);
	vp_registry_close(reg);
}

static void test_capacity_exhausted(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	struct vp_namespace_record rec;
	struct vp_error err;
	struct vp_cidr pool;
	bool created;
	(void)state;

	reg_test_options(&opts);
	assert_int_equal(vp_cidr_parse("10.0.0.0/20", 11, &pool, NULL), VP_OK);
	opts.plan.pool = pool; /* 4 namespaces: the hub and 1..3 */
	reg = open_with(&opts);
	assert_int_equal(alloc(reg, ACCOUNT_A, "a"), 1);
	assert_int_equal(alloc(reg, ACCOUNT_A, "b"), 2);
	assert_int_equal(alloc(reg, ACCOUNT_A, "c"), 3);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "d", NULL, "r", 0, &rec, &created, &err),
		VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "capacity is 4"));
	/* A released n in quarantine is still not free. */
	move(reg, 2, VP_NS_RELEASING);
	move(reg, 2, VP_NS_RELEASED);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "d", NULL, "r", 0, &rec, &created, &err),
		VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "1 in quarantine"));
	/* The existing key still answers, even when full. */
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "a", NULL, "r", 0, &rec, &created, &err),
		VP_OK);
	assert_false(created);
	reg_test_now += VP_REGISTRY_DEFAULT_QUARANTINE;
	assert_int_equal(alloc(reg, ACCOUNT_A, "d"), 2);
	vp_registry_close(reg);
}

static void reserve(struct vp_registry_options *opts, const char *cidr)
{
	struct vp_cidr c;
	assert_int_equal(vp_cidr_parse(cidr, strlen(cidr), &c, NULL), VP_OK);
	assert_int_equal(vp_plan_reserve(&opts->plan, c, NULL), VP_OK);
}

static void test_reserved_skipped(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	char ref[16];
	(void)state;

	reg_test_options(&opts);
	reserve(&opts, "10.0.8.0/22");  /* n = 2 */
	reserve(&opts, "10.0.16.0/21"); /* n = 4, 5 */
	reserve(&opts, "10.0.30.0/24"); /* n = 7 */
	reg = open_with(&opts);
	static const int64_t expect[] = {1, 3, 6, 8, 9};
	for (size_t i = 0; i < 5; i++) {
		snprintf(ref, sizeof(ref), "r%zu", i);
		assert_int_equal(alloc(reg, ACCOUNT_A, ref), expect[i]);
	}
	vp_registry_close(reg);

	/* A large reserved block is skipped in one step. */
	reg_test_options(&opts);
	reserve(&opts, "10.0.0.0/9"); /* n = 0..8191 */
	reg = open_with(&opts);
	assert_int_equal(alloc(reg, ACCOUNT_A, "x"), 8192);
	vp_registry_close(reg);
}

/*
 * Every way a run of the free list changes: take its lo, its hi (the rest of the run is
 * reserved), its middle (split); give back an n with a free run on the left, on the
 * right, on both sides (merge), on neither.
 */
static void test_free_list_edges(void **state)
{
	static const int64_t first[] = {1, 3, 4, 5, 6};
	static const int64_t release[] = {5, 4, 3, 6};
	static const int64_t after[] = {3, 4, 5, 6, 7, 8};
	struct vp_registry_options opts;
	struct vp_registry *reg;
	char ref[16];
	(void)state;

	reg_test_options(&opts);
	opts.quarantine_seconds = 0;
	reserve(&opts, "10.0.8.0/22"); /* n = 2 */
	reg = open_with(&opts);
	/* 1 (lo), 3 (split around the reserved 2), 4, 5, 6: free 2..2, 7..top */
	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
		snprintf(ref, sizeof(ref), "a%zu", i);
		assert_int_equal(alloc(reg, ACCOUNT_A, ref), first[i]);
	}
	/* 3 back: merged on the left into 2..3; taken again from its hi (2 is reserved). */
	move(reg, 3, VP_NS_RELEASING);
	move(reg, 3, VP_NS_RELEASED);
	assert_int_equal(alloc(reg, ACCOUNT_A, "b"), 3);
	/* Back one at a time (reclaimed in release order): 5 alone, 4 on the right of
	 * nothing but left of 5, 3 between 2 and 4..5, 6 between 2..5 and 7..top. */
	for (size_t i = 0; i < sizeof(release) / sizeof(release[0]); i++) {
		reg_test_now++;
		move(reg, release[i], VP_NS_RELEASING);
		move(reg, release[i], VP_NS_RELEASED);
	}
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		snprintf(ref, sizeof(ref), "c%zu", i);
		assert_int_equal(alloc(reg, ACCOUNT_B, ref), after[i]);
	}
	vp_registry_close(reg);
}

/*
 * PostgreSQL: taking the lowest n of a run changes only lo, which no index holds, so the
 * UPDATE is HOT and adds no index entry. Were lo indexed, 2,000 allocations would leave
 * 2,000 entries (dead ones included) in the index the allocation scan reads, and every
 * allocation would read them until VACUUM (issue 3: allocation cost grew with the
 * number held). The key index must stay at its metapage + one leaf.
 */
static void test_free_list_stays_small(void **state)
{
	struct vp_registry *reg;
	char ref[16];
	(void)state;

	if (!reg_test_postgres())
		skip();
	reg = open_default();
	for (int i = 1; i <= 2000; i++) {
		snprintf(ref, sizeof(ref), "r%d", i);
		assert_int_equal(alloc(reg, ACCOUNT_A, ref), i);
	}
	vp_registry_close(reg);
	assert_int_equal(
		reg_test_sql(url,
			     "DO $$ BEGIN IF pg_relation_size('free_ranges_pkey') > 16384 THEN "
			     "RAISE EXCEPTION 'free_ranges index is % bytes', "
			     "pg_relation_size('free_ranges_pkey'); END IF; END $$",
			     false),
		0);
}

static void test_list_and_expired(void **state)
{
	struct vp_registry *reg = open_default();
	struct vp_namespace_record page[3], all[10];
	struct vp_registry_filter filter = {0};
	struct vp_namespace_record rec;
	int64_t cursor = 0, seen = 0;
	size_t count = 0;
	bool created;
	char ref[16];
	(void)state;

	for (int i = 1; i <= 7; i++) {
		snprintf(ref, sizeof(ref), "r%d", i);
		assert_int_equal(vp_registry_allocate(reg, i % 2 ? ACCOUNT_A : ACCOUNT_B, ref, NULL,
						      "r", i <= 3 ? 10 : 0, &rec, &created, NULL),
				 VP_OK);
	}
	move(reg, 2, VP_NS_ACTIVE);
	do {
		filter.after_id = cursor;
		assert_int_equal(vp_registry_list(reg, &filter, page, 3, &count, &cursor, NULL),
				 VP_OK);
		for (size_t i = 0; i < count; i++)
			assert_int_equal(page[i].n, ++seen);
	} while (cursor);
	assert_int_equal(seen, 7);

	filter = (struct vp_registry_filter){.states = VP_NS_STATE_BIT(VP_NS_ACTIVE)};
	assert_int_equal(vp_registry_list(reg, &filter, all, 10, &count, &cursor, NULL), VP_OK);
	assert_int_equal(count, 1);
	assert_int_equal(all[0].n, 2);
	assert_int_equal(cursor, 0);
	filter = (struct vp_registry_filter){.account = ACCOUNT_B,
					     .states = VP_NS_STATE_BIT(VP_NS_PENDING)};
	assert_int_equal(vp_registry_list(reg, &filter, all, 10, &count, &cursor, NULL), VP_OK);
	assert_int_equal(count, 2); /* 4 and 6; 2 is active */
	assert_int_equal(all[0].n, 4);
	assert_int_equal(all[1].n, 6);
	assert_int_equal(vp_registry_list(reg, &filter, all, 0, &count, &cursor, NULL),
			 VP_ERR_INVALID);

	/* TTL: 1 and 3 are pending with a 10 s TTL, 2 left pending when confirmed. */
	assert_int_equal(vp_registry_list_expired(reg, all, 10, &count, NULL), VP_OK);
	assert_int_equal(count, 0);
	reg_test_now += 10;
	assert_int_equal(vp_registry_list_expired(reg, all, 10, &count, NULL), VP_OK);
	assert_int_equal(count, 2);
	assert_int_equal(all[0].n, 1);
	assert_int_equal(all[1].n, 3);
	vp_registry_close(reg);
}

static void test_accounts(void **state)
{
	struct vp_registry *reg = open_default();
	struct vp_account_record acc, list[4];
	struct vp_event_record events[4];
	size_t count = 0;
	(void)state;

	assert_int_equal(vp_registry_account_get(reg, ACCOUNT_A, &acc, NULL), VP_ERR_NOT_FOUND);
	alloc(reg, ACCOUNT_A, "x");
	assert_int_equal(vp_registry_account_get(reg, ACCOUNT_A, &acc, NULL), VP_OK);
	assert_false(acc.granted);
	assert_string_equal(acc.peer_role_arn, "");
	reg_test_now += 3;
	assert_int_equal(vp_registry_account_upsert(reg, ACCOUNT_A,
						    "arn:aws:iam::999999999999:role/vpcpeer-peer-1",
						    true, "grant-1", &acc, NULL),
			 VP_OK);
	assert_true(acc.granted);
	assert_int_equal(acc.updated_at, reg_test_now);
	assert_int_equal(acc.created_at, reg_test_now - 3);
	assert_int_equal(vp_registry_account_upsert(reg, ACCOUNT_B, NULL, false, NULL, &acc, NULL),
			 VP_OK);
	assert_int_equal(vp_registry_account_list(reg, "", list, 4, &count, NULL), VP_OK);
	assert_int_equal(count, 2);
	assert_string_equal(list[0].account, ACCOUNT_A);
	assert_string_equal(list[0].peer_role_arn, "arn:aws:iam::999999999999:role/vpcpeer-peer-1");
	assert_string_equal(list[1].account, ACCOUNT_B);
	assert_int_equal(vp_registry_account_list(reg, ACCOUNT_A, list, 4, &count, NULL), VP_OK);
	assert_int_equal(count, 1);
	/* Account events are under n = 0. */
	assert_int_equal(vp_registry_events(reg, 0, 0, events, 4, &count, NULL), VP_OK);
	assert_int_equal(count, 2);
	assert_string_equal(events[0].type, "account");
	assert_string_equal(events[0].request_id, "grant-1");
	assert_int_equal(vp_registry_account_upsert(reg, "12", NULL, false, NULL, &acc, NULL),
			 VP_ERR_INVALID);
	vp_registry_close(reg);
}

/* A registration's reads in one call: the key's live record, the account, the quota counts. */
static void test_register_view(void **state)
{
	struct vp_registry *reg = open_default();
	struct vp_registry_register_view view;
	struct vp_namespace_record rec;
	bool created = false;
	int64_t id3;
	(void)state;

	/* Nothing yet: no record, no account, no live namespace. */
	assert_int_equal(vp_registry_register_view(reg, ACCOUNT_A, "x", 0, &view, NULL), VP_OK);
	assert_false(view.found);
	assert_false(view.account_found);
	assert_int_equal(view.live_count, 0);
	assert_int_equal(view.account_live_count, 0);

	assert_int_equal(alloc(reg, ACCOUNT_A, "x"), 1);
	assert_int_equal(alloc(reg, ACCOUNT_B, "y"), 2);
	assert_int_equal(alloc(reg, ACCOUNT_A, "z"), 3);
	move(reg, 2, VP_NS_RELEASING);
	move(reg, 2, VP_NS_RELEASED);
	/* The key is live: its record and the account; no counts read. */
	assert_int_equal(vp_registry_register_view(reg, ACCOUNT_A, "x", 0, &view, NULL), VP_OK);
	assert_true(view.found);
	assert_int_equal(view.ns.n, 1);
	assert_true(view.account_found);
	assert_string_equal(view.account.account, ACCOUNT_A);
	assert_int_equal(view.live_count, 0);
	/* A new key (or none): the live namespaces without the released n = 2. */
	assert_int_equal(vp_registry_register_view(reg, ACCOUNT_B, NULL, 0, &view, NULL), VP_OK);
	assert_false(view.found);
	assert_true(view.account_found);
	assert_int_equal(view.live_count, 2);
	assert_int_equal(view.account_live_count, 0);
	assert_int_equal(view.rank, 0);
	assert_int_equal(vp_registry_register_view(reg, ACCOUNT_A, "new", 0, &view, NULL), VP_OK);
	assert_int_equal(view.live_count, 2);
	assert_int_equal(view.account_live_count, 2);

	/* The rank: counted namespaces no younger than a record (n = 3's: both of A's). */
	assert_int_equal(vp_registry_find(reg, ACCOUNT_A, "z", &rec, NULL), VP_OK);
	id3 = rec.id;
	assert_int_equal(alloc(reg, ACCOUNT_B, "w"),
			 4); /* younger than n = 3 (2 is in quarantine) */
	assert_int_equal(vp_registry_register_view(reg, ACCOUNT_A, NULL, id3, &view, NULL), VP_OK);
	assert_int_equal(view.live_count, 3);
	assert_int_equal(view.rank, 2);
	assert_int_equal(view.account_rank, 2);
	assert_int_equal(vp_registry_register_view(reg, ACCOUNT_B, NULL, id3, &view, NULL), VP_OK);
	assert_int_equal(view.account_live_count, 1);
	assert_int_equal(view.account_rank, 0);

	/* A pending registration past its TTL counts toward nothing, though it is live. */
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_B, "ttl", NULL, "req", 60, &rec, &created, NULL),
		VP_OK);
	assert_int_equal(vp_registry_register_view(reg, ACCOUNT_B, NULL, rec.id, &view, NULL),
			 VP_OK);
	assert_int_equal(view.live_count, 4);
	assert_int_equal(view.account_live_count, 2);
	assert_int_equal(view.rank, 4);
	reg_test_now += 60; /* expires_at <= now: expired */
	assert_int_equal(vp_registry_time_now(reg), rec.expires_at);
	assert_int_equal(vp_registry_register_view(reg, ACCOUNT_B, NULL, rec.id, &view, NULL),
			 VP_OK);
	assert_int_equal(view.live_count, 3);
	assert_int_equal(view.account_live_count, 1);
	assert_int_equal(view.rank, 3);
	assert_int_equal(view.account_rank, 1);
	reg_test_now -= 60;

	view.live_count = 42; /* a failure leaves *out untouched */
	assert_int_equal(vp_registry_register_view(reg, "12", "x", 0, &view, NULL), VP_ERR_INVALID);
	assert_int_equal(view.live_count, 42);
	vp_registry_close(reg);
}

static void test_bad_input(void **state)
{
	struct vp_registry *reg = open_default();
	struct vp_namespace_record rec;
	struct vp_error err;
	char long_ref[VP_CLIENT_REF_MAX + 2];
	bool created;
	(void)state;

	memset(long_ref, 'x', sizeof(long_ref) - 1);
	long_ref[sizeof(long_ref) - 1] = '\0';
	static const char *const accounts[] = {"12345", "1234567890123", "12345678901a", "",
					       "-12345678901"};
	for (size_t i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++) {
		assert_int_equal(vp_registry_allocate(reg, accounts[i], "r", NULL, NULL, 0, &rec,
						      &created, &err),
				 VP_ERR_INVALID);
		assert_non_null(strstr(err.message, "12 digits"));
	}
	assert_int_equal(vp_registry_allocate(reg, NULL, "r", NULL, NULL, 0, &rec, &created, &err),
			 VP_ERR_INVALID);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, long_ref, NULL, NULL, 0, &rec, &created, &err),
		VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "more than 256"));
	long_ref[VP_CLIENT_REF_MAX] = '\0'; /* exactly the maximum is fine */
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, long_ref, NULL, NULL, 0, &rec, &created, &err),
		VP_OK);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "", NULL, NULL, 0, &rec, &created, &err),
		VP_ERR_INVALID);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "a\nb", NULL, NULL, 0, &rec, &created, &err),
		VP_ERR_INVALID);
	/* One rule for a client_ref everywhere (core/ids.h): the API's, no space. */
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "a b", NULL, NULL, 0, &rec, &created, &err),
		VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "position 2"));
	assert_int_equal(vp_registry_allocate(reg, ACCOUNT_A, "r", "not json", NULL, 0, &rec,
					      &created, &err),
			 VP_ERR_INVALID);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "r", "[1,2]", NULL, 0, &rec, &created, &err),
		VP_ERR_INVALID);
	assert_int_equal(vp_registry_allocate(reg, ACCOUNT_A, "r", "{\"a\":1,\"a\":2}", NULL, 0,
					      &rec, &created, &err),
			 VP_ERR_INVALID);
	assert_int_equal(
		vp_registry_allocate(reg, ACCOUNT_A, "r", NULL, NULL, -1, &rec, &created, &err),
		VP_ERR_INVALID);
	/* Nothing was allocated by the refusals: the next n is 2. */
	assert_int_equal(alloc(reg, ACCOUNT_A, "r"), 2);
	vp_registry_close(reg);
	vp_registry_close(NULL);
}

static void test_bad_urls(void **state)
{
	static const char *const bad[] = {
		"mysql://localhost/x", "",        "sqlite:", "sqlite::memory:",
		"/var/lib/x.db",       "SQLITE:x"};
	struct vp_registry *reg = NULL;
	struct vp_error err;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vp_registry_open(bad[i], NULL, &reg, &err), VP_ERR_INVALID);
		assert_null(reg);
	}
	assert_int_equal(vp_registry_open("mysql://x", NULL, &reg, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "unknown database scheme 'mysql'"));
	assert_int_equal(vp_registry_open(NULL, NULL, &reg, &err), VP_ERR_INVALID);
	/* A directory that does not exist. */
	assert_int_equal(vp_registry_open("sqlite:/nonexistent-dir/x.db", NULL, &reg, &err),
			 VP_ERR_DB);
	assert_non_null(strstr(err.message, "/nonexistent-dir/x.db"));
}

static void test_newer_schema_refused(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = open_default(), *again = NULL;
	struct vp_error err;
	int current = 0, latest = 0;
	(void)state;

	assert_int_equal(vp_registry_schema_version(reg, &current, &latest, NULL), VP_OK);
	assert_int_equal(current, latest);
	assert_true(latest >= 1);
	vp_registry_close(reg);
	reg_test_sql(url,
		     "INSERT INTO schema_migrations (version, name, applied_at) VALUES "
		     "(99, 'from the future', 0)",
		     true);
	reg_test_options(&opts);
	assert_int_equal(vp_registry_open(url, &opts, &again, &err), VP_ERR_DB);
	assert_null(again);
	assert_non_null(strstr(err.message, "schema version 99"));
	char mine[32];
	snprintf(mine, sizeof(mine), "program's %d", latest);
	assert_non_null(strstr(err.message, mine));
	opts.migrate = false; /* status-only opening refuses too */
	assert_int_equal(vp_registry_open(url, &opts, &again, &err), VP_ERR_DB);
}

/* The registry's id: 32 hex digits, made once, the same after reopening. */
static void test_registry_id(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = open_default();
	char id[VP_REGISTRY_ID_MAX + 1], again[VP_REGISTRY_ID_MAX + 1];
	struct vp_error err;
	(void)state;

	assert_int_equal(vp_registry_id(reg, id, &err), VP_OK);
	assert_int_equal(strlen(id), 32);
	assert_int_equal(strspn(id, "0123456789abcdef"), 32);
	vp_registry_close(reg);
	reg_test_options(&opts);
	assert_int_equal(vp_registry_open(url, &opts, &reg, &err), VP_OK);
	assert_int_equal(vp_registry_id(reg, again, &err), VP_OK);
	assert_string_equal(id, again);
	vp_registry_close(reg);
	/* a registry whose id row is gone says how to repair it */
	reg_test_sql(url, "DELETE FROM registry_meta", true);
	assert_int_equal(vp_registry_open(url, &opts, &reg, &err), VP_OK);
	assert_int_equal(vp_registry_id(reg, id, &err), VP_ERR_INTERNAL);
	assert_non_null(strstr(err.message, "db migrate"));
	vp_registry_close(reg);
}

static void test_migrate_explicitly(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	int current = -1, latest = 0, applied = -1;
	(void)state;

	reg_test_options(&opts);
	opts.migrate = false;
	reg = open_with(&opts);
	assert_int_equal(vp_registry_schema_version(reg, &current, &latest, NULL), VP_OK);
	assert_int_equal(current, 0);
	assert_int_equal(vp_registry_migrate(reg, &applied, NULL), VP_OK);
	/* a gap in the versions is allowed (a branch's migration renumbered at merge) */
	assert_true(applied >= 1 && applied <= latest);
	assert_int_equal(vp_registry_migrate(reg, &applied, NULL), VP_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(vp_registry_schema_version(reg, &current, &latest, NULL), VP_OK);
	assert_int_equal(current, latest);
	assert_int_equal(alloc(reg, ACCOUNT_A, "a"), 1);
	vp_registry_close(reg);
	/* Events are append-only: the database itself refuses to change them. */
	assert_int_equal(reg_test_sql(url, "UPDATE events SET type = 'x'", false), -1);
	assert_int_equal(reg_test_sql(url, "DELETE FROM events", false), -1);
	/* And a second live record for an n is refused by the unique index. */
	assert_int_equal(
		reg_test_sql(url,
			     "INSERT INTO namespaces (n, account_id, client_ref, state, "
			     "vpc_cidr, created_at, updated_at) VALUES (1, '111111111111', "
			     "'other', 'pending', '10.0.4.0/22', 0, 0)",
			     false),
		-1);
}

/* A loopback port nothing listens on. */
static int closed_port(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	close(fd);
	return ntohs(addr.sin_port);
}

static void test_unreachable_server(void **state)
{
	struct vp_registry *reg = NULL;
	struct vp_error err;
	char u[256];
	(void)state;

	snprintf(u, sizeof(u), "postgresql://vpcpeer:hunter2@127.0.0.1:%d/vpcpeer", closed_port());
	assert_int_equal(vp_registry_open(u, NULL, &reg, &err), VP_ERR_DB);
	assert_null(reg);
	assert_non_null(strstr(err.message, "cannot connect"));
	assert_null(strstr(err.message, "hunter2")); /* the password is never shown */
}

/* The path of a fresh SQLite URL (its file does not exist yet). */
static const char *fresh_sqlite_path(void)
{
	reg_test_fresh_url(url, sizeof(url));
	return url + strlen("sqlite:");
}

static void test_corrupt_file(void **state)
{
	struct vp_registry *reg = NULL;
	struct vp_error err;
	const char *path;
	FILE *f;
	(void)state;

	if (reg_test_postgres())
		skip();
	path = fresh_sqlite_path();
	assert_non_null(f = fopen(path, "w"));
	for (int i = 0; i < 512; i++)
		fputs("this is not a database, ", f);
	fclose(f);
	assert_int_equal(vp_registry_open(url, NULL, &reg, &err), VP_ERR_DB);
	assert_null(reg);
	assert_non_null(strstr(err.message, "corrupt or not a SQLite database"));
	assert_non_null(strstr(err.message, path));

	/* A real database whose pages were overwritten past the header. */
	reg = open_default();
	assert_int_equal(alloc(reg, ACCOUNT_A, "x"), 1);
	vp_registry_close(reg);
	reg = NULL;
	path = url + strlen("sqlite:");
	assert_non_null(f = fopen(path, "r+"));
	assert_int_equal(fseek(f, 100, SEEK_SET), 0);
	for (int i = 0; i < 4096; i++)
		fputc(0xa5, f);
	fclose(f);
	assert_int_equal(vp_registry_open(url, NULL, &reg, &err), VP_ERR_DB);
	assert_null(reg);
}

static void test_read_only_file(void **state)
{
	struct vp_registry *reg;
	struct vp_error err;
	const char *path;
	int status = 0;
	pid_t pid;
	(void)state;

	if (reg_test_postgres())
		skip();
	reg = open_default();
	vp_registry_close(reg);
	path = url + strlen("sqlite:");
	assert_int_equal(chmod(path, 0444), 0);
	/* Root writes through file modes: check as an unprivileged user then. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		reg = NULL;
		if (vp_registry_open(url, NULL, &reg, &err) != VP_ERR_DB || reg)
			_exit(1);
		if (!strstr(err.message, "read-only") || !strstr(err.message, path))
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define THREADS    8
#define PER_THREAD 40

struct thread_arg {
	struct vp_registry *reg;
	int index;
	int64_t got[PER_THREAD];
	vp_code code;
	char message[VP_ERROR_MESSAGE_MAX];
};

static void *thread_main(void *p)
{
	struct thread_arg *arg = p;
	for (int i = 0; i < PER_THREAD; i++) {
		struct vp_namespace_record rec;
		struct vp_error err;
		char ref[32];
		bool created;
		snprintf(ref, sizeof(ref), "t%d-%d", arg->index, i);
		arg->code = vp_registry_allocate(arg->reg, ACCOUNT_A, ref, NULL, NULL, 0, &rec,
						 &created, &err);
		if (arg->code != VP_OK) {
			memcpy(arg->message, err.message, sizeof(arg->message));
			return NULL;
		}
		arg->got[i] = rec.n;
		/* Reads interleave with the writes on the same handle. */
		if (vp_registry_get(arg->reg, rec.n, &rec, &err) != VP_OK) {
			arg->code = err.code;
			memcpy(arg->message, err.message, sizeof(arg->message));
			return NULL;
		}
	}
	return NULL;
}

static void test_threads_share_a_handle(void **state)
{
	static struct thread_arg args[THREADS];
	struct vp_registry_options opts;
	struct vp_registry *reg;
	pthread_t threads[THREADS];
	bool seen[THREADS * PER_THREAD + 1] = {false};
	(void)state;

	reg_test_options(&opts);
	opts.pool_size = 3;
	reg = open_with(&opts);
	for (int t = 0; t < THREADS; t++) {
		args[t].reg = reg;
		args[t].index = t;
		assert_int_equal(pthread_create(&threads[t], NULL, thread_main, &args[t]), 0);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	for (int t = 0; t < THREADS; t++) {
		if (args[t].code != VP_OK)
			fail_msg("thread %d: %s", t, args[t].message);
		for (int i = 0; i < PER_THREAD; i++) {
			int64_t n = args[t].got[i];
			assert_true(n >= 1 && n <= THREADS * PER_THREAD);
			assert_false(seen[n]);
			seen[n] = true;
		}
	}
	vp_registry_close(reg);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocate_lowest_from_empty),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_principal_recorded),
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_transition_fields_and_expectation),
		cmocka_unit_test(test_events_recent),
		cmocka_unit_test(test_quarantine),
		cmocka_unit_test(test_reuse_merges_free_ranges),
		cmocka_unit_test(test_capacity_exhausted),
		cmocka_unit_test(test_reserved_skipped),
		cmocka_unit_test(test_free_list_edges),
		cmocka_unit_test(test_free_list_stays_small),
		cmocka_unit_test(test_list_and_expired),
		cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_register_view),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_unreachable_server),
		cmocka_unit_test(test_corrupt_file),
		cmocka_unit_test(test_read_only_file),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_migrate_explicitly),
		cmocka_unit_test(test_registry_id),
		cmocka_unit_test(test_threads_share_a_handle),
	};
	reg_test_setup(argc, argv);
	return cmocka_run_group_tests_name(reg_test_backend(), tests, NULL, NULL);
}
