/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/secretsmanager.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws/client.h"
#include "aws/endpoint.h"

#define ANSWER_MAX (2 * VP_AWS_SECRET_MAX + 8192) /* SecretString escaped, and the rest */

vp_code vp_aws_secretsmanager_parse_value(const char *body, size_t len, struct vp_buf *value,
					  struct vp_error *err)
{
	json_t *root, *s;
	vp_code rc = VP_OK;

	vp_buf_reset(value);
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!root || !json_is_object(root)) {
		rc = vp_fail(err, VP_ERR_INVALID, "the answer is not a JSON object");
		goto out;
	}
	s = json_object_get(root, "SecretString");
	if (!json_is_string(s)) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the secret has no SecretString (a binary secret?): store the "
			     "credentials as a JSON string");
		goto out;
	}
	if (json_string_length(s) > VP_AWS_SECRET_MAX) {
		rc = vp_fail(err, VP_ERR_INVALID, "SecretString is longer than %d bytes",
			     VP_AWS_SECRET_MAX);
		goto out;
	}
	rc = vp_buf_append(value, json_string_value(s), json_string_length(s));
	if (rc != VP_OK)
		vp_fail(err, rc, "out of memory for the secret");
	/* jansson's copy of the secret: wiped before json_decref frees it. */
	OPENSSL_cleanse((void *)(uintptr_t)json_string_value(s), json_string_length(s));
out:
	json_decref(root);
	return rc;
}

vp_code vp_aws_secretsmanager_get(struct vp_aws_client *c, const char *secret_id,
				  struct vp_buf *value, struct vp_aws_error *err)
{
	static const struct vp_aws_header headers[] = {
		{"X-Amz-Target", "secretsmanager.GetSecretValue"},
	};
	struct vp_aws_rest_request req = {
		.method = "POST",
		.path = "/",
		.content_type = "application/x-amz-json-1.1",
		.headers = headers,
		.header_count = sizeof(headers) / sizeof(headers[0]),
		.json_errors = true,
	};
	struct vp_buf answer;
	json_t *doc;
	char *body;
	vp_code rc;

	vp_aws_error_clear(err);
	if (!secret_id || !secret_id[0] || strlen(secret_id) > VP_AWS_SECRET_ID_MAX)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "secretsmanager GetSecretValue: give a secret ARN or name "
					 "(1 to %d characters)",
					 VP_AWS_SECRET_ID_MAX);
	doc = json_pack("{ss}", "SecretId", secret_id);
	body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!body)
		return vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	req.body = body;
	req.body_len = strlen(body);
	vp_buf_init(&answer, ANSWER_MAX);
	rc = vp_aws_client_rest_ex(c, VP_AWS_SECRETSMANAGER, "GetSecretValue", &req, &answer, NULL,
				   err);
	if (rc == VP_OK) {
		rc = vp_aws_secretsmanager_parse_value(answer.data, answer.len, value, &err->error);
		if (rc != VP_OK)
			rc = vp_aws_error_fail(err, rc, "secretsmanager GetSecretValue %s: %s",
					       secret_id, err->error.message);
	}
	if (answer.data)
		OPENSSL_cleanse(answer.data, answer.len);
	vp_buf_cleanup(&answer);
	free(body);
	return rc;
}

void vp_aws_rds_secret_wipe(struct vp_aws_rds_secret *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

/* An optional string member into dst (cap bytes with the NUL): printable, no NUL. */
static vp_code copy_member(json_t *root, const char *key, bool required, char *dst, size_t cap,
			   struct vp_error *err)
{
	json_t *v = json_object_get(root, key);
	const char *s;
	size_t n;

	if (!v && !required)
		return VP_OK;
	if (!json_is_string(v))
		return vp_fail(err, VP_ERR_INVALID, "the secret's %s is %s", key,
			       v ? "not a string" : "missing");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n >= cap)
		return vp_fail(err, VP_ERR_INVALID,
			       "the secret's %s is empty or longer than %zu bytes", key, cap - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return vp_fail(err, VP_ERR_INVALID,
				       "the secret's %s holds a control character", key);
	memcpy(dst, s, n + 1);
	return VP_OK;
}

static vp_code parse_port(json_t *v, unsigned *port, struct vp_error *err)
{
	const char *s;
	char *end;
	long n;

	if (!v)
		return VP_OK;
	if (json_is_integer(v)) {
		n = (long)json_integer_value(v);
		if (json_integer_value(v) < 1 || json_integer_value(v) > 65535)
			n = 0;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno || end == s || *end || (size_t)(end - s) != json_string_length(v) ||
		    s[0] == '-' || s[0] == '+' || s[0] == ' ')
			n = 0;
	} else {
		n = 0;
	}
	if (n < 1 || n > 65535)
		return vp_fail(err, VP_ERR_INVALID, "the secret's port is not a port (1 to 65535)");
	*port = (unsigned)n;
	return VP_OK;
}

vp_code vp_aws_rds_secret_parse(const char *json, size_t len, struct vp_aws_rds_secret *out,
				struct vp_error *err)
{
	json_t *root;
	vp_code rc;

	memset(out, 0, sizeof(*out));
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	if (!root || !json_is_object(root)) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the secret is not a JSON object (RDS's format: username, password, "
			     "host, port, dbname, engine)");
		goto out;
	}
	rc = copy_member(root, "username", true, out->username, sizeof(out->username), err);
	if (rc == VP_OK)
		rc = copy_member(root, "password", true, out->password, sizeof(out->password), err);
	if (rc == VP_OK)
		rc = copy_member(root, "engine", false, out->engine, sizeof(out->engine), err);
	if (rc == VP_OK)
		rc = copy_member(root, "host", false, out->host, sizeof(out->host), err);
	if (rc == VP_OK)
		rc = copy_member(root, "dbname", false, out->dbname, sizeof(out->dbname), err);
	if (rc == VP_OK)
		rc = parse_port(json_object_get(root, "port"), &out->port, err);
	/* jansson's copy of the password: wiped before it is freed. */
	if (json_is_string(json_object_get(root, "password")))
		OPENSSL_cleanse(
			(void *)(uintptr_t)json_string_value(json_object_get(root, "password")),
			json_string_length(json_object_get(root, "password")));
out:
	if (rc != VP_OK)
		vp_aws_rds_secret_wipe(out);
	json_decref(root);
	return rc;
}

/* Percent-encode s (all but RFC 3986's unreserved characters) at out + *len. */
static bool append_encoded(char *out, size_t cap, size_t *len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			     (ch >= '0' && ch <= '9') || strchr("-._~", ch);

		if (*len + (plain ? 1 : 3) >= cap)
			return false;
		if (plain) {
			out[(*len)++] = (char)ch;
		} else {
			out[(*len)++] = '%';
			out[(*len)++] = hex[ch >> 4];
			out[(*len)++] = hex[ch & 15];
		}
	}
	out[*len] = '\0';
	return true;
}

static bool append_raw(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n >= cap)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

/* A DNS name or an IPv4 address: nothing that could end the URL's host part. */
static bool host_name(const char *h)
{
	size_t n = strlen(h);

	return n > 0 &&
	       strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

/* The secret's "HOST[:PORT]" at out + *len. */
static bool append_host(char *out, size_t cap, size_t *len, const struct vp_aws_rds_secret *s)
{
	char port[8];

	snprintf(port, sizeof(port), ":%u", s->port);
	return append_raw(out, cap, len, s->host, strlen(s->host)) &&
	       (!s->port || append_raw(out, cap, len, port, strlen(port)));
}

vp_code vp_aws_rds_secret_url(const char *db, const struct vp_aws_rds_secret *s, char *out,
			      size_t cap, struct vp_error *err)
{
	const char *rest = NULL;
	size_t len = 0, scheme_len = 0, host_len = 0;
	bool ok;

	if (s->engine[0] && strcmp(s->engine, "postgres") != 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "the registry secret is for engine '%s': the registry needs a "
			       "PostgreSQL (engine postgres) secret",
			       s->engine);
	/* The secret's host goes into the URL as it is: it must not carry a path or a query. */
	if (s->host[0] && !host_name(s->host))
		return vp_fail(err, VP_ERR_INVALID,
			       "the registry secret's host is not a host name (letters, digits, "
			       "'.', '-')");
	if (db) {
		if (strncmp(db, "postgresql://", 13) == 0)
			scheme_len = 13;
		else if (strncmp(db, "postgres://", 11) == 0)
			scheme_len = 11;
		else
			return vp_fail(err, VP_ERR_INVALID,
				       "--registry-secret gives a PostgreSQL user: --db must be a "
				       "postgresql:// URL (or left out)");
		rest = db + scheme_len;
		host_len = strcspn(rest, "/?");
		if (memchr(rest, '@', host_len))
			return vp_fail(err, VP_ERR_INVALID,
				       "--db names a user and --registry-secret gives one: drop "
				       "the user from --db");
	} else if (!s->host[0]) {
		return vp_fail(err, VP_ERR_INVALID,
			       "the registry secret has no host: give --db "
			       "postgresql://HOST:PORT/DB for its user and password");
	}
	ok = append_raw(out, cap, &len, "postgresql://", 13) &&
	     append_encoded(out, cap, &len, s->username) && append_raw(out, cap, &len, ":", 1) &&
	     append_encoded(out, cap, &len, s->password) && append_raw(out, cap, &len, "@", 1);
	if (!db) /* the secret's whole address; the database name encoded like the user */
		ok = ok && append_host(out, cap, &len, s) && append_raw(out, cap, &len, "/", 1) &&
		     append_encoded(out, cap, &len, s->dbname);
	else if (host_len == 0 && s->host[0]) /* postgresql:///DB: the secret's host */
		ok = ok && append_host(out, cap, &len, s) &&
		     append_raw(out, cap, &len, rest, strlen(rest));
	else /* --db's host, or none (libpq's default: the local socket, or host= in the query) */
		ok = ok && append_raw(out, cap, &len, rest, strlen(rest));
	if (!ok) {
		OPENSSL_cleanse(out, cap);
		return vp_fail(err, VP_ERR_INVALID,
			       "the registry URL with the secret's credentials is longer than "
			       "%zu bytes",
			       cap - 1);
	}
	return VP_OK;
}
