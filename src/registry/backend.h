/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the registry: what a backend (sqlite.c, postgres.c) provides to the
 * logic both share (internal.h and the files that include it). One connection
 * is used by one thread at a time (the pool in pool.c sees to it). SQL is
 * shared by both backends: it uses $1, $2, ... placeholders (SQLite reads
 * them as named parameters) and only syntax both understand; what differs
 * (DDL, locking) is in the ops.
 */
#ifndef VP_REGISTRY_BACKEND_H
#define VP_REGISTRY_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "registry/registry.h"
#include "registry/url.h"

struct vp_db_conn;
struct vp_db_rows;

enum vp_db_param_type { VP_DB_NULL, VP_DB_INT, VP_DB_TEXT };

struct vp_db_param {
	enum vp_db_param_type type;
	int64_t i;
	const char *s;
};

#define VP_DB_INT_PARAM(v)  ((struct vp_db_param){VP_DB_INT, (v), NULL})
#define VP_DB_TEXT_PARAM(v) ((struct vp_db_param){VP_DB_TEXT, 0, (v)})
#define VP_DB_NULL_PARAM    ((struct vp_db_param){VP_DB_NULL, 0, NULL})
#define VP_DB_MAX_PARAMS    16

/* A write transaction's purpose: PostgreSQL takes an advisory lock for these. */
enum vp_db_lock { VP_DB_LOCK_NONE, VP_DB_LOCK_ALLOCATE, VP_DB_LOCK_MIGRATE };

struct vp_migration {
	int version;
	const char *name;
	const char *sql; /* one or more statements */
};

struct vp_db_ops {
	const char *name; /* "sqlite", "postgresql" */
	vp_code (*connect)(const struct vp_registry_url *url,
			   const struct vp_registry_options *opts, bool first,
			   struct vp_db_conn **out, struct vp_error *err);
	void (*disconnect)(struct vp_db_conn *conn);
	/* Make a connection usable again after its server went away (may be NULL). */
	vp_code (*reset)(struct vp_db_conn *conn, struct vp_error *err);
	/* Prove an idle connection still reaches its server (a round trip), making it
	 * anew when not: for a connection borrowed after another one was lost, since a
	 * socket to a restarted server looks healthy until used (may be NULL). */
	vp_code (*check)(struct vp_db_conn *conn, struct vp_error *err);
	/* Whether the last failure lost the connection (server gone, restarted, session
	 * ended): the transaction was not committed and may run again on a fresh one. */
	bool (*lost)(struct vp_db_conn *conn);
	/* write: a transaction that will write (SQLite: BEGIN IMMEDIATE). */
	vp_code (*begin)(struct vp_db_conn *conn, bool write, enum vp_db_lock lock,
			 struct vp_error *err);
	vp_code (*commit)(struct vp_db_conn *conn, struct vp_error *err);
	void (*rollback)(struct vp_db_conn *conn);
	/* Statements without parameters or results, several allowed. */
	vp_code (*exec_script)(struct vp_db_conn *conn, const char *sql, struct vp_error *err);
	/* One statement without parameters or results (a static string), run before the
	 * connection's next statement: PostgreSQL sends both in one round trip, so its
	 * failure is reported by that statement (or by commit), after which the
	 * transaction can only be rolled back. SQLite runs it now. */
	vp_code (*exec_ahead)(struct vp_db_conn *conn, const char *sql, struct vp_error *err);
	/* One statement; *changes (may be NULL) gets the rows it changed. */
	vp_code (*exec)(struct vp_db_conn *conn, const char *sql, const struct vp_db_param *params,
			int nparams, int64_t *changes, struct vp_error *err);
	/* One statement with results: then next() until it returns 0 (no more) or
	 * an error, then finish(). Only one open result per connection. */
	vp_code (*query)(struct vp_db_conn *conn, const char *sql, const struct vp_db_param *params,
			 int nparams, struct vp_db_rows **rows, struct vp_error *err);
	/* 1 a row, 0 done, -1 error (err filled). */
	int (*next)(struct vp_db_rows *rows, struct vp_error *err);
	bool (*is_null)(struct vp_db_rows *rows, int col);
	int64_t (*get_int)(struct vp_db_rows *rows, int col);
	const char *(*get_text)(struct vp_db_rows *rows, int col); /* never NULL */
	void (*finish)(struct vp_db_rows *rows);
	/* Whether the last failure may succeed when the transaction is tried again
	 * (SQLite busy, PostgreSQL serialization failure or deadlock). */
	bool (*retriable)(struct vp_db_conn *conn);
	/* Named locks (vp_registry_lock) are rows of lock_rows too, so brokers in other
	 * processes wait (PostgreSQL); false: in-process only (SQLite: one process per
	 * database file). */
	bool lock_table;
	/* Backend-specific SQL. */
	const char *sql_has_migrations_table; /* one row, one count */
	bool lock_rows;    /* SELECT ... FOR UPDATE before changing a row (PostgreSQL) */
	bool writable_cte; /* INSERT/UPDATE inside WITH, for one-statement allocations (PostgreSQL)
			    */
	const struct vp_migration *migrations; /* ends with a version 0 entry */
};

/* migrations.c: each backend's schema, version by version (never edit a shipped one). */
extern const struct vp_migration vp_registry_sqlite_migrations[];
extern const struct vp_migration vp_registry_postgres_migrations[];

extern const struct vp_db_ops vp_db_sqlite_ops;
extern const struct vp_db_ops vp_db_postgres_ops;

#endif
