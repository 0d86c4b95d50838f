/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/config.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "core/clock.h"
#include "core/url.h"

#define METADATA_MAX ((size_t)64 << 10)

struct container {
	struct vp_aws_http *http;
	char *url;
	char *auth_token, *auth_token_file;
	long timeout_ms;
	int attempts;
	double retry_delay;
};

static void container_free(void *state)
{
	struct container *p = state;

	if (!p)
		return;
	vp_aws_http_free(p->http);
	free(p->url);
	vp_aws_secret_free(p->auth_token);
	free(p->auth_token_file);
	free(p);
}

static vp_code fetch_container(void *state, time_t now, struct vp_aws_credentials *out,
			       struct vp_error *err)
{
	struct container *p = state;
	struct vp_aws_http_response resp;
	vp_code rc = VP_ERR_AUTH;

	(void)now;
	vp_aws_http_response_init(&resp);
	for (int attempt = 1; attempt <= p->attempts; attempt++) {
		struct vp_aws_header h[1];
		char *token = NULL;
		struct vp_aws_http_request req = {.method = "GET",
						  .url = p->url,
						  .headers = h,
						  .connect_timeout_ms = p->timeout_ms,
						  .timeout_ms = p->timeout_ms,
						  .max_response = METADATA_MAX};
		if (attempt > 1)
			vp_clock_sleep_ms((int64_t)(p->retry_delay * 1000.0));
		if (p->auth_token_file) {
			rc = vp_aws_credentials_read_token(p->auth_token_file,
							   "container authorization token file",
							   &token, err);
			if (rc != VP_OK)
				break;
		}
		if (token || p->auth_token) {
			const char *t = token ? token : p->auth_token;
			if (strpbrk(t, "\r\n")) {
				vp_aws_secret_free(token);
				rc = vp_fail(err, VP_ERR_AUTH,
					     "the container authorization token has a line break");
				break;
			}
			h[0] = (struct vp_aws_header){"Authorization", t};
			req.header_count = 1;
		}
		rc = vp_aws_http_send(p->http, &req, &resp, err);
		vp_aws_secret_free(token);
		if (rc == VP_OK && resp.status == 200) {
			rc = vp_aws_credentials_parse_json(resp.body.data, resp.body.len,
							   "container endpoint", out, err);
			break;
		}
		if (rc == VP_OK)
			vp_fail(err, VP_ERR_AUTH, "the container endpoint %s answered HTTP %ld",
				p->url, resp.status);
		else
			vp_error_prefix(err, "container credentials");
		rc = VP_ERR_AUTH;
		if (err)
			err->code = VP_ERR_AUTH;
	}
	vp_aws_http_response_wipe(&resp);
	return rc;
}

bool vp_aws_container_uri_allowed(const char *url)
{
	static const char *const hosts[] = {"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
					    NULL};
	struct vp_url u;
	bool ok = false;

	if (vp_url_parse(url, &u, NULL) != VP_OK)
		return false;
	if (strcmp(u.scheme, "https") == 0) {
		ok = true;
	} else if (strcmp(u.scheme, "http") == 0) {
		ok = vp_url_host_is_loopback(u.host);
		for (size_t i = 0; !ok && hosts[i]; i++)
			ok = strcasecmp(u.host, hosts[i]) == 0;
	}
	vp_url_cleanup(&u);
	return ok;
}

static const struct vp_aws_credentials_source container_source = {fetch_container, container_free};

static vp_code container_url(char *url, size_t size, struct vp_error *err)
{
	const char *rel = vp_aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = vp_aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");

	if (rel) {
		if ((size_t)snprintf(url, size, "http://169.254.170.2%s%s",
				     rel[0] == '/' ? "" : "/", rel) >= size)
			return vp_fail(err, VP_ERR_RANGE,
				       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI too long");
		return VP_OK;
	}
	if (!vp_aws_container_uri_allowed(full))
		return vp_fail(err, VP_ERR_AUTH,
			       "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' must be https, or http to "
			       "a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23",
			       full);
	if ((size_t)snprintf(url, size, "%s", full) >= size)
		return vp_fail(err, VP_ERR_RANGE, "AWS_CONTAINER_CREDENTIALS_FULL_URI too long");
	return VP_OK;
}

vp_code vp_aws_container_provider_new(const struct vp_aws_chain_options *o,
				      struct vp_aws_credentials_provider **out,
				      struct vp_error *err)
{
	const char *token_file = vp_aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *token = vp_aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct container *p;
	char url[VP_AWS_URL_MAX];
	vp_code rc = container_url(url, sizeof(url), err);

	if (rc != VP_OK)
		return rc;
	if (!(p = calloc(1, sizeof(*p))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	p->url = strdup(url);
	p->timeout_ms = o && o->container_timeout_ms > 0 ? o->container_timeout_ms : 2000;
	p->attempts = o && o->container_attempts > 0 ? o->container_attempts : 3;
	p->retry_delay = o && o->retry_base_delay > 0 ? o->retry_base_delay : 1.0;
	if (token_file)
		p->auth_token_file = strdup(token_file);
	else if (token)
		p->auth_token = strdup(token);
	rc = p->url ? vp_aws_http_new(&p->http, err) : vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		container_free(p);
		return rc;
	}
	return vp_aws_credentials_provider_new(&container_source, p, "container", o, out, err);
}
