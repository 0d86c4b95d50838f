/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry under several processes (argv[1]: sqlite or postgres):
 * - 8 processes x 500 allocations on one database: no n twice, exactly 1..4000;
 * - crash safety: a child allocating in a loop is killed with SIGKILL 20 times;
 *   after each kill the database is consistent (SQLite integrity_check), no n is
 *   held twice, every allocation the child reported as committed is there, and
 *   the held n's are exactly 1..K, so the free list survived too.
 */
#include <errno.h>
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
#include <sqlite3.h>

#include "registry_test.h"

#define PROCESSES   8
#define PER_PROCESS 500
#define KILLS       20

static char url[1024];

static struct vp_registry *open_url(const char *u)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = NULL;
	struct vp_error err;

	vp_registry_options_init(&opts);
	opts.pool_size = 1;
	if (vp_registry_open(u, &opts, &reg, &err) != VP_OK)
		fail_msg("open %s: %s", u, err.message);
	return reg;
}

/* Every record of the registry, checked: live n's distinct; returns the highest. */
static int64_t check_registry(struct vp_registry *reg, bool *held, int64_t max_n, int64_t *live)
{
	static struct vp_namespace_record page[VP_REGISTRY_PAGE_MAX];
	struct vp_registry_filter filter = {0};
	int64_t cursor = 0, highest = 0;
	size_t count = 0;

	memset(held, 0, (size_t)(max_n + 1) * sizeof(*held));
	*live = 0;
	do {
		filter.after_id = cursor;
		assert_int_equal(vp_registry_list(reg, &filter, page, VP_REGISTRY_PAGE_MAX, &count,
						  &cursor, NULL),
				 VP_OK);
		for (size_t i = 0; i < count; i++) {
			int64_t n = page[i].n;
			if (page[i].state == VP_NS_RELEASED)
				continue;
			assert_true(n >= 1 && n <= max_n);
			if (held[n])
				fail_msg("n = %lld is held twice", (long long)n);
			held[n] = true;
			(*live)++;
			if (n > highest)
				highest = n;
		}
	} while (cursor);
	return highest;
}

static void allocate_many(const char *u, int index)
{
	struct vp_registry *reg = open_url(u);
	for (int i = 0; i < PER_PROCESS; i++) {
		struct vp_namespace_record rec;
		struct vp_error err;
		char ref[32];
		bool created;
		snprintf(ref, sizeof(ref), "p%d-%d", index, i);
		if (vp_registry_allocate(reg, "123456789012", ref, NULL, NULL, 0, &rec, &created,
					 &err) != VP_OK) {
			fprintf(stderr, "child %d: %s\n", index, err.message);
			_exit(1);
		}
	}
	vp_registry_close(reg);
	_exit(0);
}

static void test_processes(void **state)
{
	static bool held[PROCESSES * PER_PROCESS + 1];
	struct vp_registry *reg;
	pid_t pids[PROCESSES];
	int64_t live = 0;
	(void)state;

	reg_test_fresh_url(url, sizeof(url));
	reg = open_url(url); /* migrated before the children race */
	vp_registry_close(reg);
	for (int p = 0; p < PROCESSES; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0)
			allocate_many(url, p);
	}
	for (int p = 0; p < PROCESSES; p++) {
		int status = 0;
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	reg = open_url(url);
	assert_int_equal(check_registry(reg, held, PROCESSES * PER_PROCESS, &live),
			 PROCESSES * PER_PROCESS);
	assert_int_equal(live, PROCESSES * PER_PROCESS);
	for (int n = 1; n <= PROCESSES * PER_PROCESS; n++)
		assert_true(held[n]);
	vp_registry_close(reg);
}

/* The child: allocate forever, reporting each committed n (8 bytes) on the pipe. */
static void allocate_forever(const char *u, int fd, int round)
{
	struct vp_registry *reg = open_url(u);
	for (int i = 0;; i++) {
		struct vp_namespace_record rec;
		struct vp_error err;
		char ref[32];
		bool created;
		snprintf(ref, sizeof(ref), "crash%d-%d", round, i);
		if (vp_registry_allocate(reg, "123456789012", ref, NULL, NULL, 0, &rec, &created,
					 &err) != VP_OK) {
			fprintf(stderr, "child: %s\n", err.message);
			_exit(1);
		}
		if (write(fd, &rec.n, sizeof(rec.n)) != (ssize_t)sizeof(rec.n))
			_exit(1);
	}
}

static void check_integrity(const char *u)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_open_v2(u + strlen("sqlite:"), &db, SQLITE_OPEN_READWRITE, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "ok");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

#define MAX_CRASH_N 20000

static void test_sigkill(void **state)
{
	static bool held[MAX_CRASH_N + 1];
	static bool reported[MAX_CRASH_N + 1];
	int64_t reported_count = 0;
	(void)state;

	reg_test_fresh_url(url, sizeof(url));
	vp_registry_close(open_url(url));
	srand(12345);
	for (int round = 0; round < KILLS; round++) {
		int fds[2], status = 0;
		int64_t n, live = 0, highest;
		int want = 1 + rand() % 30, got = 0;
		pid_t pid;
		struct vp_registry *reg;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			allocate_forever(url, fds[1], round);
		}
		close(fds[1]);
		/* Kill after a random number of commits, at a random point of the next one. */
		while (got < want && read(fds[0], &n, sizeof(n)) == (ssize_t)sizeof(n)) {
			assert_true(n >= 1 && n <= MAX_CRASH_N);
			reported[n] = true;
			reported_count++;
			got++;
		}
		usleep((useconds_t)(rand() % 2000));
		kill(pid, SIGKILL);
		while (read(fds[0], &n, sizeof(n)) == (ssize_t)sizeof(n)) {
			reported[n] = true; /* committed before the kill landed */
			reported_count++;
		}
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		if (!reg_test_postgres())
			check_integrity(url);
		reg = open_url(url);
		/*
		 * Allocate before looking: on PostgreSQL the killed child's backend may
		 * still be committing its last transaction (one whose COMMIT was sent
		 * but not acknowledged). It holds the allocation lock until it ends, so
		 * an allocation orders after it, and what we read next is settled.
		 */
		struct vp_namespace_record rec;
		bool created;
		char ref[32];
		snprintf(ref, sizeof(ref), "after%d", round);
		assert_int_equal(vp_registry_allocate(reg, "123456789012", ref, NULL, NULL, 0, &rec,
						      &created, NULL),
				 VP_OK);
		reported[rec.n] = true;
		reported_count++;
		highest = check_registry(reg, held, MAX_CRASH_N, &live);
		/* No gaps: live n's are exactly 1..highest, and every report is among them. */
		assert_int_equal(live, highest);
		for (int64_t i = 1; i <= MAX_CRASH_N; i++)
			if (reported[i] && !held[i])
				fail_msg("round %d: committed n = %lld is lost", round,
					 (long long)i);
		assert_true(live >= reported_count);
		/* The free list was intact: the allocation took the next n. */
		assert_int_equal(rec.n, highest);
		vp_registry_close(reg);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_sigkill),
	};
	reg_test_setup(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name(reg_test_backend(), tests, NULL, NULL);
}
