/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/imds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "aws/config.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "core/num.h"

#define METADATA_MAX   ((size_t)64 << 10)
#define IMDS_TOKEN_TTL "21600"

struct imds {
	struct vp_aws_http *http;
	char *url; /* the base URL, without a trailing '/' */
	long timeout_ms;
	int attempts;
	bool v1_disabled;
};

static void imds_free(void *state)
{
	struct imds *m = state;

	if (!m)
		return;
	vp_aws_http_free(m->http);
	free(m->url);
	free(m);
}

static vp_code imds_get(struct imds *p, const char *method, const char *path, const char *token,
			struct vp_aws_http_response *resp, struct vp_error *err)
{
	char url[VP_AWS_URL_MAX + 128];
	struct vp_aws_header h[1];
	struct vp_aws_http_request req = {.method = method,
					  .url = url,
					  .headers = h,
					  .connect_timeout_ms = p->timeout_ms,
					  .timeout_ms = p->timeout_ms,
					  .max_response = METADATA_MAX};
	vp_code rc = VP_ERR_IO;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", p->url, path) >= sizeof(url))
		return vp_fail(err, VP_ERR_RANGE, "instance metadata URL too long");
	if (strcmp(method, "PUT") == 0)
		h[0] = (struct vp_aws_header){"X-aws-ec2-metadata-token-ttl-seconds",
					      IMDS_TOKEN_TTL};
	else if (token)
		h[0] = (struct vp_aws_header){"X-aws-ec2-metadata-token", token};
	req.header_count = strcmp(method, "PUT") == 0 || token ? 1 : 0;
	for (int attempt = 1; attempt <= p->attempts; attempt++) {
		rc = vp_aws_http_send(p->http, &req, resp, err);
		if (rc == VP_OK && resp->status < 500)
			return VP_OK;
	}
	if (rc == VP_OK)
		return VP_OK; /* a 5xx: the caller reports it */
	return rc;
}

static vp_code fetch_imds(void *state, time_t now, struct vp_aws_credentials *out,
			  struct vp_error *err)
{
	struct imds *p = state;
	struct vp_aws_http_response resp;
	char *token = NULL, *role = NULL;
	char path[512];
	vp_code rc;

	(void)now;
	vp_aws_http_response_init(&resp);
	rc = imds_get(p, "PUT", "/latest/api/token", NULL, &resp, err);
	if (rc != VP_OK && rc != VP_ERR_NOMEM && !p->v1_disabled) {
		/* No answer to the token request (a container's hop limit of 1 drops it): IMDSv1,
		 * as the SDKs do. */
		vp_error_clear(err);
		rc = VP_OK;
		resp.status = 0;
	} else if (rc != VP_OK) {
		vp_error_prefix(err, "instance metadata (IMDS) session token (IMDSv1 is disabled)");
		goto fail;
	}
	if (resp.status == 0) {
		token = NULL;
	} else if (resp.status == 200 && resp.body.len > 0) {
		token = vp_buf_steal(&resp.body);
		if (!token) {
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
			goto fail;
		}
	} else if ((resp.status == 403 || resp.status == 404 || resp.status == 405) &&
		   !p->v1_disabled) {
		token = NULL; /* IMDSv1 fallback, as the SDKs do */
	} else {
		rc = vp_fail(err, VP_ERR_AUTH,
			     "instance metadata (IMDS) refused a session token: HTTP %ld",
			     resp.status);
		goto fail;
	}
	rc = imds_get(p, "GET", "/latest/meta-data/iam/security-credentials/", token, &resp, err);
	if (rc == VP_OK && resp.status != 200)
		rc = vp_fail(
			err, VP_ERR_AUTH,
			"instance metadata (IMDS) lists no role: HTTP %ld (no instance profile?)",
			resp.status);
	if (rc != VP_OK)
		goto fail;
	{
		const char *b = vp_buf_str(&resp.body);
		size_t n = strcspn(b, "\r\n");
		while (n > 0 && b[n - 1] == ' ')
			n--;
		if (n == 0 || n > 128 || strcspn(b, "/?#% ") < n) {
			rc = vp_fail(err, VP_ERR_AUTH,
				     "instance metadata (IMDS) gave no usable role name");
			goto fail;
		}
		role = strndup(b, n);
		if (!role) {
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%s", role);
	rc = imds_get(p, "GET", path, token, &resp, err);
	if (rc == VP_OK && resp.status != 200)
		rc = vp_fail(err, VP_ERR_AUTH,
			     "instance metadata (IMDS) credentials for %s: HTTP %ld", role,
			     resp.status);
	if (rc == VP_OK)
		rc = vp_aws_credentials_parse_json(resp.body.data, resp.body.len,
						   "instance metadata (IMDS)", out, err);
fail:
	if (rc != VP_OK && err && err->code != VP_ERR_NOMEM)
		err->code = VP_ERR_AUTH;
	if (rc != VP_OK)
		rc = err ? err->code : VP_ERR_AUTH;
	vp_aws_http_response_wipe(&resp);
	vp_aws_secret_free(token);
	free(role);
	return rc;
}

static const struct vp_aws_credentials_source imds_source = {fetch_imds, imds_free};

static vp_code seconds_from_env(const char *name, int64_t max, int64_t *out, struct vp_error *err)
{
	const char *v = vp_aws_env(name);
	if (!v)
		return VP_OK;
	return vp_parse_int64(v, 1, max, name, out, err);
}

vp_code vp_aws_imds_provider_new(const struct vp_aws_config *cfg, const char *profile,
				 const struct vp_aws_chain_options *o,
				 struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	const char *endpoint = vp_aws_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = vp_aws_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	const char *v1_off = vp_aws_config_value(cfg, profile, "ec2_metadata_v1_disabled");
	struct imds *m;
	int64_t timeout_s = 1, attempts = 1;
	size_t n;
	vp_code rc;

	if (!endpoint)
		endpoint = vp_aws_config_value(cfg, profile, "ec2_metadata_service_endpoint");
	if (!mode)
		mode = vp_aws_config_value(cfg, profile, "ec2_metadata_service_endpoint_mode");
	if (!endpoint)
		endpoint = mode && strcasecmp(mode, "IPv6") == 0 ? "http://[fd00:ec2::254]"
								 : "http://169.254.169.254";
	if (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "instance metadata endpoint '%s' is not an http URL", endpoint);
	rc = seconds_from_env("AWS_METADATA_SERVICE_TIMEOUT", 600, &timeout_s, err);
	if (rc == VP_OK)
		rc = seconds_from_env("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 10, &attempts, err);
	if (rc != VP_OK)
		return rc;
	if (!(m = calloc(1, sizeof(*m))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	m->url = strndup(endpoint, n);
	m->timeout_ms = o && o->imds_timeout_ms > 0 ? o->imds_timeout_ms : (long)timeout_s * 1000;
	m->attempts = o && o->imds_attempts > 0 ? o->imds_attempts : (int)attempts;
	m->v1_disabled = vp_aws_env_true("AWS_EC2_METADATA_V1_DISABLED") ||
			 (v1_off && strcasecmp(v1_off, "true") == 0);
	rc = m->url ? vp_aws_http_new(&m->http, err) : vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		imds_free(m);
		return rc;
	}
	return vp_aws_credentials_provider_new(&imds_source, m, "imds", o, out, err);
}
