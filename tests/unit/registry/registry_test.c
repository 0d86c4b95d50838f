/* SPDX-License-Identifier: Apache-2.0 */
#include "registry_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

static bool postgres;
static char pg_base[512];
static char tmpdir[64];
static int counter;

int64_t reg_test_now = 1800000000;

int64_t reg_test_clock(void *ctx)
{
	(void)ctx;
	return reg_test_now;
}

static void remove_tmpdir(void)
{
	char cmd[128];
	if (!tmpdir[0] || getpid() != (pid_t)strtol(strrchr(tmpdir, '-') + 1, NULL, 10))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

void reg_test_setup(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "sqlite") != 0 && strcmp(argv[1], "postgres") != 0)) {
		fprintf(stderr, "usage: %s sqlite|postgres\n", argv[0]);
		exit(2);
	}
	postgres = strcmp(argv[1], "postgres") == 0;
	if (postgres) {
		const char *file = getenv("VP_TEST_PG_URL_FILE");
		FILE *f = file ? fopen(file, "r") : NULL;
		if (!f || !fgets(pg_base, sizeof(pg_base), f)) {
			fprintf(stderr,
				"%s: no PostgreSQL URL in $VP_TEST_PG_URL_FILE (%s); start one "
				"with tests/support/pg_cluster.sh\n",
				argv[0], file ? file : "unset");
			exit(1);
		}
		fclose(f);
		pg_base[strcspn(pg_base, "\n")] = '\0';
	} else {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/vpcpeer-regtest-%ld", (long)getpid());
		if (mkdir(tmpdir, 0755) != 0) {
			perror(tmpdir);
			exit(1);
		}
		atexit(remove_tmpdir);
	}
}

bool reg_test_postgres(void)
{
	return postgres;
}

const char *reg_test_backend(void)
{
	return postgres ? "postgres" : "sqlite";
}

void reg_test_fresh_url(char *url, size_t size)
{
	counter++;
	if (!postgres) {
		snprintf(url, size, "sqlite:%s/db%d.sqlite", tmpdir, counter);
		return;
	}
	char schema[64], sql[128], base[600];
	snprintf(schema, sizeof(schema), "t%ld_%d", (long)getpid(), counter);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	snprintf(base, sizeof(base), "%s", pg_base);
	reg_test_sql(base, sql, true);
	snprintf(url, size, "%s&options=-csearch_path%%3D%s", pg_base, schema);
}

int reg_test_sql(const char *url, const char *sql, bool must_succeed)
{
	int rc = 0;

	if (strncmp(url, "sqlite:", 7) == 0) {
		sqlite3 *db = NULL;
		char *msg = NULL;
		if (sqlite3_open(url + 7, &db) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			if (must_succeed)
				fail_msg("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
			rc = -1;
		}
		sqlite3_free(msg);
		sqlite3_close(db);
		return rc;
	}
	PGconn *pg = PQconnectdb(url);
	PGresult *res = NULL;
	if (PQstatus(pg) != CONNECTION_OK) {
		if (must_succeed)
			fail_msg("connect %s: %s", url, PQerrorMessage(pg));
		rc = -1;
	} else {
		res = PQexec(pg, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			if (must_succeed)
				fail_msg("%s: %s", sql, PQerrorMessage(pg));
			rc = -1;
		}
	}
	PQclear(res);
	PQfinish(pg);
	return rc;
}

void reg_test_integrity(const char *url)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(strncmp(url, "sqlite:", 7), 0);
	assert_int_equal(sqlite3_open_v2(url + 7, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "ok");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

void reg_test_options(struct vp_registry_options *opts)
{
	vp_registry_options_init(opts);
	opts->clock = reg_test_clock;
	opts->pool_size = 2;
}

struct vp_registry *reg_test_open(const struct vp_registry_options *opts, char *url, size_t size)
{
	struct vp_registry *reg = NULL;
	struct vp_error err;

	reg_test_fresh_url(url, size);
	if (vp_registry_open(url, opts, &reg, &err) != VP_OK)
		fail_msg("open %s: %s", url, err.message);
	return reg;
}
