/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The proof's client side (packing a signed, unsent GetCallerIdentity), the
 * server id, and the broker's rules, checked once for vp_proof_parse()
 * (proof/parse.c). docs/api.md "Identity proof" is the contract.
 */
#include "proof/proof.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/sts.h"
#include "core/buf.h"
#include "core/url.h"

static int64_t system_clock(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

vp_code vp_proof_server_id_check(const char *id, struct vp_error *err)
{
	size_t len = id ? strlen(id) : 0;

	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID, "the server id is empty");
	if (len > VP_PROOF_SERVER_ID_MAX)
		return vp_fail(err, VP_ERR_INVALID, "the server id is %zu characters, more than %d",
			       len, VP_PROOF_SERVER_ID_MAX);
	for (size_t i = 0; i < len; i++)
		if (id[i] < 0x21 || id[i] > 0x7e)
			return vp_fail(err, VP_ERR_INVALID,
				       "the server id must be printable ASCII without spaces");
	return VP_OK;
}

vp_code vp_proof_request_line(const char *method, const char *path, size_t path_len, char *out,
			      size_t size, struct vp_error *err)
{
	size_t mlen = method ? strlen(method) : 0;

	if (mlen == 0 || mlen > 16 || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != mlen)
		return vp_fail(err, VP_ERR_INVALID, "the request method is not an HTTP method");
	if (!path || path_len == 0 || path[0] != '/')
		return vp_fail(err, VP_ERR_INVALID, "the request path does not start with '/'");
	for (size_t i = 0; i < path_len; i++)
		if (path[i] < 0x21 || path[i] > 0x7e)
			return vp_fail(err, VP_ERR_INVALID,
				       "the request path has a space or a control character");
	if (mlen + 1 + path_len >= size || mlen + 1 + path_len > VP_PROOF_REQUEST_MAX)
		return vp_fail(err, VP_ERR_RANGE, "the request path is too long for a proof");
	memcpy(out, method, mlen);
	out[mlen] = ' ';
	memcpy(out + mlen + 1, path, path_len);
	out[mlen + 1 + path_len] = '\0';
	return VP_OK;
}

/* ------------------------------------------------------------------ client side */

static vp_code json_string_append(struct vp_buf *b, const char *s, size_t len)
{
	vp_code rc = vp_buf_append(b, "\"", 1);

	for (size_t i = 0; i < len && rc == VP_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			rc = vp_buf_append(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			rc = vp_buf_appendf(b, "\\u%04x", c);
		} else {
			rc = vp_buf_append(b, &s[i], 1);
		}
	}
	return rc == VP_OK ? vp_buf_append(b, "\"", 1) : rc;
}

/* {"method":..,"url":..,"headers":{..},"body":..}, built by hand so it can be wiped. */
static vp_code pack_request(const struct vp_aws_signed_request *req, struct vp_buf *b)
{
	vp_code rc = vp_buf_appends(b, "{\"method\":");

	if (rc == VP_OK)
		rc = json_string_append(b, req->method, strlen(req->method));
	if (rc == VP_OK)
		rc = vp_buf_appends(b, ",\"url\":");
	if (rc == VP_OK)
		rc = json_string_append(b, req->url, strlen(req->url));
	if (rc == VP_OK)
		rc = vp_buf_appends(b, ",\"headers\":{");
	for (size_t i = 0; i < req->header_count && rc == VP_OK; i++) {
		const struct vp_aws_owned_header *h = &req->headers[i];
		if (i > 0)
			rc = vp_buf_append(b, ",", 1);
		if (rc == VP_OK)
			rc = json_string_append(b, h->name, strlen(h->name));
		if (rc == VP_OK)
			rc = vp_buf_append(b, ":", 1);
		if (rc == VP_OK)
			rc = json_string_append(b, h->value, strlen(h->value));
	}
	if (rc == VP_OK)
		rc = vp_buf_appends(b, "},\"body\":");
	if (rc == VP_OK)
		rc = json_string_append(b, req->body, req->body_len);
	if (rc == VP_OK)
		rc = vp_buf_append(b, "}", 1);
	return rc;
}

vp_code vp_proof_make(struct vp_aws_client *client, const char *server_id, const char *request,
		      char **header_value, struct vp_error *err)
{
	struct vp_aws_header extra[2] = {{VP_PROOF_SERVER_ID_HEADER, server_id},
					 {VP_PROOF_REQUEST_HEADER, request}};
	struct vp_aws_signed_request *req = NULL;
	const size_t scheme_len = strlen(VP_PROOF_SCHEME);
	struct vp_buf json;
	size_t b64_len;
	char *value;
	vp_code rc;

	rc = vp_proof_server_id_check(server_id, err);
	if (rc != VP_OK)
		return rc;
	if (request && (!request[0] || strlen(request) > VP_PROOF_REQUEST_MAX ||
			strchr(request, '\n') || strchr(request, '\r')))
		return vp_fail(err, VP_ERR_INVALID, "the request a proof is for is malformed");
	rc = vp_aws_sts_sign_get_caller_identity(client, extra, request ? 2 : 1, &req, err);
	if (rc != VP_OK)
		return rc;
	vp_buf_init(&json, VP_PROOF_MAX_HEADER);
	if (pack_request(req, &json) != VP_OK) {
		rc = vp_fail(err, VP_ERR_RANGE, "the identity proof would be longer than %d bytes",
			     VP_PROOF_MAX_HEADER);
		goto done;
	}
	b64_len = 4 * ((json.len + 2) / 3);
	if (scheme_len + 1 + b64_len > VP_PROOF_MAX_HEADER) {
		rc = vp_fail(err, VP_ERR_RANGE,
			     "the identity proof would be %zu bytes, more than %d",
			     scheme_len + 1 + b64_len, VP_PROOF_MAX_HEADER);
		goto done;
	}
	value = malloc(scheme_len + 1 + b64_len + 1);
	if (!value) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto done;
	}
	memcpy(value, VP_PROOF_SCHEME " ", scheme_len + 1);
	EVP_EncodeBlock((unsigned char *)value + scheme_len + 1, (const unsigned char *)json.data,
			(int)json.len);
	*header_value = value;
done:
	if (json.data)
		OPENSSL_cleanse(json.data, json.alloc);
	vp_buf_cleanup(&json);
	vp_aws_signed_request_free(req);
	return rc;
}

vp_code vp_proof_default_server_id(const char *broker_url, char *out, size_t size,
				   struct vp_error *err)
{
	struct vp_url u;
	const char *port;
	vp_code rc;
	int n;

	rc = vp_url_parse(broker_url, &u, err);
	if (rc != VP_OK)
		return rc;
	if (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0) {
		rc = vp_fail(err, VP_ERR_INVALID, "'%.200s' is not an http:// or https:// URL",
			     broker_url);
		goto done;
	}
	if (!u.host[0]) {
		rc = vp_fail(err, VP_ERR_INVALID, "'%.200s' has no host", broker_url);
		goto done;
	}
	port = u.port ? u.port : strcmp(u.scheme, "https") == 0 ? "443" : "80";
	/* Host names are case-insensitive: both sides lower-case them. */
	for (char *p = u.host; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	n = snprintf(out, size, "%s:%s", u.host, port);
	if (n < 0 || (size_t)n >= size || n > VP_PROOF_SERVER_ID_MAX)
		rc = vp_fail(err, VP_ERR_RANGE, "the host of '%.200s' is too long for a server id",
			     broker_url);
done:
	vp_url_cleanup(&u);
	return rc;
}

/* ------------------------------------------------------------------ the broker's rules */

static const struct vp_aws_partition *partition_named(const char *name)
{
	static const char *const global_regions[] = {"us-east-1", "cn-north-1", "us-gov-west-1"};

	for (size_t i = 0; i < 3; i++) {
		const struct vp_aws_partition *p = vp_aws_partition_for_region(global_regions[i]);
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* "scheme://host[:port]/" of the configured STS endpoint. */
static vp_code endpoint_base(const char *url, char *out, size_t size, struct vp_error *err)
{
	struct vp_url u;
	vp_code rc;
	int n;

	rc = vp_url_parse(url, &u, NULL);
	if (rc == VP_ERR_NOMEM)
		return vp_fail(err, rc, "out of memory");
	if (rc != VP_OK || (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0)) {
		rc = vp_fail(err, VP_ERR_INVALID, "the STS endpoint '%.200s' is not an http(s) URL",
			     url);
		goto done;
	}
	if (u.user || u.query || u.fragment || strcmp(u.path, "/") != 0) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the STS endpoint '%.200s' must be scheme://host[:port] only", url);
		goto done;
	}
	if (u.port)
		n = snprintf(out, size, "%s://%s:%s/", u.scheme, u.host, u.port);
	else
		n = snprintf(out, size, "%s://%s/", u.scheme, u.host);
	if (n < 0 || (size_t)n >= size)
		rc = vp_fail(err, VP_ERR_RANGE, "the STS endpoint URL is too long");
done:
	vp_url_cleanup(&u);
	return rc;
}

/*
 * An extra STS host ("host" or "https://host[:port]") as "https://host[:port]/". Plain http is
 * refused: a proof replayed over it would hand its signature to anyone on the path.
 */
static vp_code sts_host_base(const char *given, char *out, size_t size, struct vp_error *err)
{
	char url[VP_AWS_URL_MAX + 16];
	const char *p;
	int n;

	if (!given || !given[0] || strlen(given) > VP_AWS_URL_MAX)
		return vp_fail(err, VP_ERR_INVALID,
			       "--sts-endpoint needs a host name or an https:// URL");
	if ((p = strstr(given, "://")) && strncmp(given, "https://", 8) != 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "--sts-endpoint '%.200s' must be https:// (or a bare host name)",
			       given);
	n = p ? snprintf(url, sizeof(url), "%s", given)
	      : snprintf(url, sizeof(url), "https://%s", given);
	if (n < 0 || (size_t)n >= sizeof(url))
		return vp_fail(err, VP_ERR_RANGE, "--sts-endpoint '%.200s' is too long", given);
	n = (int)strlen(url);
	if (n > 4 && strcmp(url + n - 4, ":443") == 0)
		url[n - 4] = '\0'; /* the default port: proofs name the host alone */
	if (endpoint_base(url, out, size, err) != VP_OK) {
		vp_error_prefix(err, "--sts-endpoint");
		return VP_ERR_INVALID;
	}
	return VP_OK;
}

vp_code vp_proof_rules_init(struct vp_proof_rules *out, const struct vp_proof_config *cfg,
			    struct vp_error *err)
{
	struct vp_proof_rules r;
	vp_code rc;

	memset(&r, 0, sizeof(r));
	rc = vp_proof_server_id_check(cfg->server_id, err);
	if (rc != VP_OK)
		return rc;
	if (cfg->max_age_seconds < 0 || cfg->max_age_seconds > VP_PROOF_MAX_MAX_AGE)
		return vp_fail(err, VP_ERR_INVALID, "the proof max age must be 1..%d seconds",
			       VP_PROOF_MAX_MAX_AGE);
	memcpy(r.server_id, cfg->server_id, strlen(cfg->server_id) + 1);
	r.partition = partition_named(cfg->partition ? cfg->partition : "aws");
	if (!r.partition)
		return vp_fail(err, VP_ERR_INVALID,
			       "unknown partition '%.64s' (aws, aws-cn or aws-us-gov)",
			       cfg->partition);
	if (cfg->sts_endpoint) {
		rc = endpoint_base(cfg->sts_endpoint, r.endpoint_url, sizeof(r.endpoint_url), err);
		if (rc != VP_OK)
			return rc;
		r.have_endpoint = true;
	}
	if (cfg->sts_host_count > VP_PROOF_MAX_STS_HOSTS)
		return vp_fail(err, VP_ERR_INVALID, "more than %d extra STS endpoints",
			       VP_PROOF_MAX_STS_HOSTS);
	for (size_t i = 0; i < cfg->sts_host_count; i++) {
		rc = sts_host_base(cfg->sts_hosts[i], r.sts_hosts[i], sizeof(r.sts_hosts[i]), err);
		if (rc != VP_OK)
			return rc;
	}
	r.sts_host_count = cfg->sts_host_count;
	r.max_age = cfg->max_age_seconds ? cfg->max_age_seconds : VP_PROOF_DEFAULT_MAX_AGE;
	r.clock = cfg->clock ? cfg->clock : system_clock;
	r.clock_ctx = cfg->clock_ctx;
	*out = r;
	return VP_OK;
}
