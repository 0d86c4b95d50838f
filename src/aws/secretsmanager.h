/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Secrets Manager, GetSecretValue only (awsJson1.1: POST / with
 * X-Amz-Target secretsmanager.GetSecretValue,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html),
 * and the JSON that RDS keeps in a database's secret (username, password,
 * and in the rotation format also engine, host, port, dbname:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_secret_json_structure.html).
 * The registry's credentials of `serve-lambda --registry-secret` (issue 18).
 *
 * Secrets: every buffer that held one is wiped before it is freed;
 * vp_aws_rds_secret_wipe() wipes the parsed secret (caller storage).
 */
#ifndef VP_AWS_SECRETSMANAGER_H
#define VP_AWS_SECRETSMANAGER_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/error.h"
#include "core/buf.h"

struct vp_aws_client;

#define VP_AWS_SECRET_MAX    65536 /* SecretString's own limit */
#define VP_AWS_SECRET_ID_MAX 2048

/*
 * GetSecretValue's answer body: its SecretString into `value` (caller's
 * buffer, reset first). VP_ERR_INVALID for a body that is not JSON or has
 * no SecretString (a binary secret included: name the fix).
 */
VP_NODISCARD vp_code vp_aws_secretsmanager_parse_value(const char *body, size_t len,
						       struct vp_buf *value, struct vp_error *err);

/* The current version's SecretString of `secret_id` (ARN or name) into `value`. */
VP_NODISCARD vp_code vp_aws_secretsmanager_get(struct vp_aws_client *c, const char *secret_id,
					       struct vp_buf *value, struct vp_aws_error *err);

/* An RDS database secret. Absent members are "" (port 0). */
struct vp_aws_rds_secret {
	char username[64];
	char password[256];
	char engine[32];
	char host[254];
	char dbname[64];
	unsigned port;
};

/*
 * Parse an RDS secret of `len` bytes: an object with string username and
 * password (required), and optional engine, host, dbname (strings) and port
 * (a number or a decimal string, 1 to 65535). VP_ERR_INVALID naming the
 * member for anything else (a member too long, a NUL or a control
 * character in it); *out is wiped then.
 */
VP_NODISCARD vp_code vp_aws_rds_secret_parse(const char *json, size_t len,
					     struct vp_aws_rds_secret *out, struct vp_error *err);
void vp_aws_rds_secret_wipe(struct vp_aws_rds_secret *s);

/*
 * A libpq URL from `db` (a postgresql:// URL without a user, or NULL) and
 * the secret: its username and password percent-encoded into the URL's
 * userinfo; its host (and port) where `db` has no host; without `db`, its
 * host, port and dbname make the URL. At most cap - 1 bytes into out (wiped
 * on failure). VP_ERR_INVALID naming the fix: a secret of another engine
 * than postgres, `db` not PostgreSQL or naming a user already, no host in
 * the secret without `db`, too long.
 */
VP_NODISCARD vp_code vp_aws_rds_secret_url(const char *db, const struct vp_aws_rds_secret *s,
					   char *out, size_t cap, struct vp_error *err);

#endif
