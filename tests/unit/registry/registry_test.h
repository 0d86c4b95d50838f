/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the registry's tests: which backend a test program runs against
 * (its first argument, "sqlite" or "postgres") and a fresh, empty database
 * for each test. SQLite databases are files in a temporary directory removed
 * at exit; PostgreSQL ones are schemas in the cluster that
 * tests/support/pg_cluster.sh started (its URL in the file named by
 * $VP_TEST_PG_URL_FILE).
 */
#ifndef VP_TEST_REGISTRY_TEST_H
#define VP_TEST_REGISTRY_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

/* Parse argv; exits with a message on a bad argument or a missing cluster. */
void reg_test_setup(int argc, char **argv);
bool reg_test_postgres(void);
const char *reg_test_backend(void);

/* A URL naming a new empty database. */
void reg_test_fresh_url(char *url, size_t size);

/* Run one SQL statement directly on the database (no registry): for tests that
 * tamper with it. Fails the test on error when must_succeed; returns 0 on success. */
int reg_test_sql(const char *url, const char *sql, bool must_succeed);

/* SQLite only: PRAGMA integrity_check of the database at a sqlite: URL answers "ok". */
void reg_test_integrity(const char *url);

/* A controllable clock for vp_registry_options.clock. */
extern int64_t reg_test_now;
int64_t reg_test_clock(void *ctx);

/* Options with the test clock and a small pool. */
void reg_test_options(struct vp_registry_options *opts);

/* Open a fresh registry; fails the test on error. */
struct vp_registry *reg_test_open(const struct vp_registry_options *opts, char *url, size_t size);

#endif
