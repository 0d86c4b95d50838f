/* SPDX-License-Identifier: Apache-2.0 */
/* --registry-secret: the registry URL from --db and an RDS secret (aws/secretsmanager.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aws/secretsmanager.h"

static struct vp_aws_rds_secret secret(const char *user, const char *password, const char *host,
				       unsigned port, const char *dbname, const char *engine)
{
	struct vp_aws_rds_secret s = {0};

	snprintf(s.username, sizeof(s.username), "%s", user);
	snprintf(s.password, sizeof(s.password), "%s", password);
	snprintf(s.host, sizeof(s.host), "%s", host);
	snprintf(s.dbname, sizeof(s.dbname), "%s", dbname);
	snprintf(s.engine, sizeof(s.engine), "%s", engine);
	s.port = port;
	return s;
}

static void expect_url(const char *db, struct vp_aws_rds_secret s, const char *want)
{
	char out[1025];
	struct vp_error err;

	if (vp_aws_rds_secret_url(db, &s, out, sizeof(out), &err) != VP_OK)
		fail_msg("%s: %s", db ? db : "(no --db)", err.message);
	assert_string_equal(out, want);
}

static void expect_refused(const char *db, struct vp_aws_rds_secret s, const char *why)
{
	char out[1025];
	struct vp_error err;

	assert_int_equal(vp_aws_rds_secret_url(db, &s, out, sizeof(out), &err), VP_ERR_INVALID);
	if (!strstr(err.message, why))
		fail_msg("'%s' does not say '%s'", err.message, why);
}

static void test_urls(void **state)
{
	(void)state;
	/* RDS's managed secret and the proxy's address in --db (the template's way). */
	expect_url("postgresql://proxy.example:5432/vpcpeer?sslmode=require",
		   secret("vpcpeer", "p@ss:w/rd%", "", 0, "", ""),
		   "postgresql://vpcpeer:p%40ss%3Aw%2Frd%25@proxy.example:5432/"
		   "vpcpeer?sslmode=require");
	expect_url("postgres://db/x", secret("u", "p", "other", 1, "y", "postgres"),
		   "postgresql://u:p@db/x");
	/* --db without a host: the secret's. */
	expect_url("postgresql:///vp?sslmode=require", secret("u", "p", "h", 6432, "", ""),
		   "postgresql://u:p@h:6432/vp?sslmode=require");
	/* Neither: libpq's default host (the local socket, or host= in the query). */
	expect_url("postgresql:///vp?host=/tmp/pg", secret("u", "p", "", 0, "", ""),
		   "postgresql://u:p@/vp?host=/tmp/pg");
	/* No --db: the rotation format's whole address. */
	expect_url(NULL, secret("u", "p w", "db.example", 5432, "vp", "postgres"),
		   "postgresql://u:p%20w@db.example:5432/vp");
	expect_url(NULL, secret("u", "p", "db.example", 0, "", ""), "postgresql://u:p@db.example/");
	/* A database name cannot add parameters (sslmode=disable, say): encoded. */
	expect_url(NULL, secret("u", "p", "db.example", 0, "vp?sslmode=disable", ""),
		   "postgresql://u:p@db.example/vp%3Fsslmode%3Ddisable");
}

static void test_refused(void **state)
{
	struct vp_aws_rds_secret big = secret("u", "", "h", 0, "", "");
	char out[64];
	struct vp_error err;
	(void)state;

	expect_refused("sqlite:/var/lib/x.db", secret("u", "p", "", 0, "", ""), "postgresql://");
	expect_refused("postgresql://me@db/x", secret("u", "p", "", 0, "", ""), "drop the user");
	expect_refused(NULL, secret("u", "p", "", 0, "", ""), "no host");
	expect_refused("postgresql://db/x", secret("u", "p", "", 0, "", "mysql"), "engine");
	/* A host that would bring its own path and query into the URL. */
	expect_refused(NULL, secret("u", "p", "evil.example/vp?sslmode=disable", 0, "", ""),
		       "not a host name");
	expect_refused("postgresql:///x", secret("u", "p", "h@evil", 0, "", ""), "not a host name");
	memset(big.password, 'x', 200);
	assert_int_equal(vp_aws_rds_secret_url("postgresql://db/x", &big, out, sizeof(out), &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "longer"));
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0); /* no half-written password left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
