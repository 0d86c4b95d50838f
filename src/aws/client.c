/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>

#include "aws/config.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "aws/xml.h"
#include "core/clock.h"
#include "core/num.h"

static int global_users;

vp_code vp_aws_global_init(struct vp_error *err)
{
	return vp_aws_global_init_lean(false, err);
}

vp_code vp_aws_global_init_lean(bool no_openssl_config, struct vp_error *err)
{
	const char *conf = getenv("OPENSSL_CONF");

	if (global_users++ > 0)
		return VP_OK;
	/*
	 * curl_global_init() initialises OpenSSL with OPENSSL_INIT_LOAD_CONFIG
	 * (lib/vtls/openssl.c), and loading the configuration, even a missing
	 * file, touches OpenSSL's error state, which loads every error string:
	 * about a third of the Lambda handler's start (docs/lambda.md). Marking
	 * the configuration done first makes that call skip it (OPENSSL_init_crypto(3):
	 * "OPENSSL_INIT_NO_LOAD_CONFIG"); the strings then load on first use.
	 */
	if (no_openssl_config && !(conf && conf[0]) &&
	    !OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL)) {
		global_users = 0;
		return vp_fail(err, VP_ERR_INTERNAL, "OpenSSL failed to initialise");
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		global_users = 0;
		return vp_fail(err, VP_ERR_INTERNAL, "libcurl failed to initialise");
	}
	xmlInitParser();
	return VP_OK;
}

void vp_aws_global_cleanup(void)
{
	if (global_users == 0 || --global_users > 0)
		return;
	xmlCleanupParser();
	curl_global_cleanup();
}

struct vp_aws_client {
	char *region;
	const struct vp_aws_partition *partition;
	struct vp_aws_endpoint endpoints[VP_AWS_SERVICE_COUNT];
	bool have_endpoint[VP_AWS_SERVICE_COUNT];
	char endpoint_error[VP_AWS_SERVICE_COUNT][VP_ERROR_MESSAGE_MAX];
	struct vp_aws_credentials_provider *credentials;
	bool anonymous;
	struct vp_aws_http *http;
	struct vp_aws_retry_quota quota;
	int max_attempts;
	double base_delay, max_backoff;
	long connect_timeout_ms, timeout_ms;
	int page_size;
	vp_aws_clock_fn clock;
	void *clock_ctx;
};

static time_t default_clock(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

static bool is_true(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

/* Region: explicit, AWS_REGION, AWS_DEFAULT_REGION, the profile's region. */
static vp_code resolve_region(const struct vp_aws_client_config *cfg,
			      const struct vp_aws_config *files, const char *profile, char **out,
			      struct vp_error *err)
{
	const char *r = cfg->region;

	if (!r)
		r = vp_aws_env("AWS_REGION");
	if (!r)
		r = vp_aws_env("AWS_DEFAULT_REGION");
	if (!r)
		r = vp_aws_config_file_value(files, VP_AWS_CONFIG_FILE, profile, "region");
	*out = NULL;
	if (!r)
		return VP_OK;
	if (!vp_aws_region_valid(r))
		return vp_fail(err, VP_ERR_INVALID, "'%s' is not a region name", r);
	*out = strdup(r);
	return *out ? VP_OK : vp_fail(err, VP_ERR_NOMEM, "out of memory");
}

static void resolve_endpoint(struct vp_aws_client *c, const struct vp_aws_client_config *cfg,
			     const struct vp_aws_config *files, const char *profile,
			     enum vp_aws_service svc)
{
	struct vp_error err;
	const char *url = cfg->endpoint_url;
	bool ignore = vp_aws_env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") ||
		      is_true(vp_aws_config_file_value(files, VP_AWS_CONFIG_FILE, profile,
						       "ignore_configured_endpoint_urls"));
	vp_code rc;

	vp_error_clear(&err);
	if (!url && !ignore) {
		char var[64];
		snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", vp_aws_service_env_id(svc));
		url = vp_aws_env(var);
		if (!url)
			url = vp_aws_env("AWS_ENDPOINT_URL");
		if (!url)
			url = vp_aws_config_service_value(
				files, profile, vp_aws_service_config_key(svc), "endpoint_url");
		if (!url)
			url = vp_aws_config_file_value(files, VP_AWS_CONFIG_FILE, profile,
						       "endpoint_url");
	}
	if (url) {
		rc = vp_aws_endpoint_custom(svc, url, c->region, &c->endpoints[svc], &err);
	} else {
		const char *mode = vp_aws_env("AWS_STS_REGIONAL_ENDPOINTS");
		if (!mode)
			mode = vp_aws_config_file_value(files, VP_AWS_CONFIG_FILE, profile,
							"sts_regional_endpoints");
		rc = vp_aws_endpoint_default(svc, c->region, mode && strcmp(mode, "legacy") == 0,
					     &c->endpoints[svc], &err);
	}
	c->have_endpoint[svc] = rc == VP_OK;
	if (rc != VP_OK)
		snprintf(c->endpoint_error[svc], sizeof(c->endpoint_error[svc]), "%s", err.message);
}

static vp_code resolve_attempts(const struct vp_aws_client_config *cfg,
				const struct vp_aws_config *files, const char *profile, int *out,
				struct vp_error *err)
{
	const char *v;
	int64_t n;

	if (cfg->max_attempts > 0) {
		*out = cfg->max_attempts;
		return VP_OK;
	}
	v = vp_aws_env("AWS_MAX_ATTEMPTS");
	if (!v)
		v = vp_aws_config_file_value(files, VP_AWS_CONFIG_FILE, profile, "max_attempts");
	if (!v) {
		*out = VP_AWS_RETRY_MAX_ATTEMPTS;
		return VP_OK;
	}
	if (vp_parse_int64(v, 1, 100, "max_attempts", &n, err) != VP_OK)
		return err ? err->code : VP_ERR_INVALID;
	*out = (int)n;
	return VP_OK;
}

vp_code vp_aws_client_new(const struct vp_aws_client_config *cfg, struct vp_aws_client **out,
			  struct vp_error *err)
{
	struct vp_aws_client *c = calloc(1, sizeof(*c));
	struct vp_aws_config *loaded = NULL;
	const struct vp_aws_config *files = cfg->shared_config;
	const char *profile = cfg->profile;
	vp_code rc = VP_OK;

	if (!c)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	vp_aws_retry_quota_init(&c->quota, cfg->retry_quota > 0 ? cfg->retry_quota
								: VP_AWS_RETRY_QUOTA_CAPACITY);
	if (!files) {
		rc = vp_aws_config_load(cfg->config_file, cfg->credentials_file, &loaded, err);
		files = loaded;
	}
	if (!profile)
		profile = vp_aws_env("AWS_PROFILE") ? vp_aws_env("AWS_PROFILE")
						    : vp_aws_env("AWS_DEFAULT_PROFILE");
	if (!profile)
		profile = "default";
	if (rc == VP_OK)
		rc = resolve_region(cfg, files, profile, &c->region, err);
	if (rc == VP_OK)
		rc = resolve_attempts(cfg, files, profile, &c->max_attempts, err);
	if (rc == VP_OK)
		rc = vp_aws_region_check(c->region, err);
	if (rc != VP_OK)
		goto fail;
	c->partition = vp_aws_partition_for_region(c->region);
	for (int s = 0; s < VP_AWS_SERVICE_COUNT; s++)
		resolve_endpoint(c, cfg, files, profile, (enum vp_aws_service)s);
	c->anonymous = cfg->anonymous;
	c->base_delay = cfg->retry_base_delay > 0 ? cfg->retry_base_delay : VP_AWS_RETRY_BASE_DELAY;
	c->max_backoff =
		cfg->retry_max_backoff > 0 ? cfg->retry_max_backoff : VP_AWS_RETRY_MAX_BACKOFF;
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 60000;
	c->page_size = cfg->ec2_page_size;
	c->clock = cfg->clock ? cfg->clock : default_clock;
	c->clock_ctx = cfg->clock_ctx;

	if (!c->anonymous)
		c->credentials = vp_aws_credentials_provider_ref(cfg->credentials);
	rc = vp_aws_http_new(&c->http, err);
	if (rc != VP_OK)
		goto fail;
	vp_aws_config_free(loaded);
	*out = c;
	return VP_OK;
fail:
	vp_aws_config_free(loaded);
	vp_aws_client_free(c);
	return rc;
}

void vp_aws_client_free(struct vp_aws_client *c)
{
	if (!c)
		return;
	vp_aws_credentials_provider_free(c->credentials);
	vp_aws_http_free(c->http);
	vp_aws_retry_quota_cleanup(&c->quota);
	free(c->region);
	free(c);
}

const char *vp_aws_client_region(const struct vp_aws_client *c)
{
	return c->region;
}

const struct vp_aws_partition *vp_aws_client_partition(const struct vp_aws_client *c)
{
	return c->partition;
}

const struct vp_aws_endpoint *vp_aws_client_endpoint(const struct vp_aws_client *c,
						     enum vp_aws_service svc)
{
	return c->have_endpoint[svc] ? &c->endpoints[svc] : NULL;
}

struct vp_aws_credentials_provider *vp_aws_client_credentials(const struct vp_aws_client *c)
{
	return c->credentials;
}

void vp_aws_client_set_credentials(struct vp_aws_client *c, struct vp_aws_credentials_provider *p)
{
	struct vp_aws_credentials_provider *old = c->credentials;

	c->credentials = vp_aws_credentials_provider_ref(p);
	vp_aws_credentials_provider_free(old);
}

int vp_aws_client_page_size(const struct vp_aws_client *c)
{
	return c->page_size;
}

int vp_aws_client_retry_quota(struct vp_aws_client *c)
{
	return vp_aws_retry_quota_available(&c->quota);
}

/* --- parameters --------------------------------------------------------------- */

static void params_append_encoded(struct vp_aws_params *p, const char *s)
{
	if (p->status == VP_OK)
		p->status = vp_aws_uri_encode(&p->body, s, strlen(s), false);
}

void vp_aws_params_init(struct vp_aws_params *p, enum vp_aws_service svc, const char *action)
{
	vp_buf_init(&p->body, VP_AWS_PARAMS_MAX);
	p->status = VP_OK;
	vp_aws_params_add(p, "Action", action);
	vp_aws_params_add(p, "Version", vp_aws_service_version(svc));
}

void vp_aws_params_cleanup(struct vp_aws_params *p)
{
	vp_buf_cleanup(&p->body);
}

void vp_aws_params_add(struct vp_aws_params *p, const char *name, const char *value)
{
	if (p->status == VP_OK && p->body.len)
		p->status = vp_buf_append(&p->body, "&", 1);
	params_append_encoded(p, name);
	if (p->status == VP_OK)
		p->status = vp_buf_append(&p->body, "=", 1);
	params_append_encoded(p, value ? value : "");
}

void vp_aws_params_addf(struct vp_aws_params *p, const char *value, const char *name_fmt, ...)
{
	char name[256];
	va_list ap;
	int n;

	va_start(ap, name_fmt);
	n = vsnprintf(name, sizeof(name), name_fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		if (p->status == VP_OK)
			p->status = VP_ERR_RANGE;
		return;
	}
	vp_aws_params_add(p, name, value);
}

/* --- calls ------------------------------------------------------------------- */

static const char *const form_type = "application/x-www-form-urlencoded; charset=utf-8";
static const char *const json_type = "application/json";

/* What a call sends: a Query-API form POST to "/", a REST-JSON document to its path, or a
 * REST-XML request (Route 53: any method, the path holds the query). */
struct payload {
	const char *method;
	const char *path; /* "/", "/getresourceshares" or "/2013-04-01/hostedzone/Z..[?query]" */
	const char *content_type;
	const char *data;
	size_t len;
	bool json; /* errors are REST-JSON (x-amzn-ErrorType, {"message": ..}) */
	const struct vp_aws_header *extra; /* more headers, signed (Lambda's invocation type) */
	size_t extra_count;
	long timeout_ms;      /* per attempt; 0: the client's */
	int max_attempts;     /* 0: the client's */
	char *function_error; /* out: X-Amz-Function-Error of a 2xx answer, or NULL */
};

static struct payload form_payload(const struct vp_aws_params *params)
{
	return (struct payload){.method = "POST",
				.path = "/",
				.content_type = form_type,
				.data = params->body.data,
				.len = params->body.len};
}

static vp_code sign_params(struct vp_aws_client *c, const struct vp_aws_endpoint *ep,
			   const struct payload *pl, const struct vp_aws_header *extra,
			   size_t extra_count, struct vp_aws_signed_request **out,
			   struct vp_error *err)
{
	struct vp_aws_header headers[VP_AWS_SIGV4_MAX_HEADERS];
	struct vp_aws_credentials creds;
	struct vp_aws_sigv4_params sp;
	char url[VP_AWS_URL_MAX + VP_AWS_PATH_MAX];
	vp_code rc;

	if (extra_count + 1 > VP_AWS_SIGV4_MAX_HEADERS - 3)
		return vp_fail(err, VP_ERR_RANGE, "too many headers");
	headers[0] = (struct vp_aws_header){"Content-Type", pl->content_type};
	for (size_t i = 0; i < extra_count; i++)
		headers[i + 1] = extra[i];
	if ((size_t)snprintf(url, sizeof(url), "%s%s", ep->url, pl->path) >= sizeof(url))
		return vp_fail(err, VP_ERR_RANGE, "request URL too long");
	vp_aws_credentials_init(&creds);
	rc = vp_aws_credentials_provider_get(c->credentials, &creds, err);
	if (rc != VP_OK)
		return rc;
	sp = (struct vp_aws_sigv4_params){
		.access_key_id = creds.access_key_id,
		.secret_access_key = creds.secret_access_key,
		.session_token = creds.session_token,
		.region = ep->signing_region,
		.service = ep->service,
		.time = c->clock(c->clock_ctx),
	};
	rc = vp_aws_sigv4_sign(pl->method, url, headers, extra_count + 1, pl->data, pl->len, &sp,
			       out, err);
	vp_aws_credentials_cleanup(&creds);
	return rc;
}

vp_code vp_aws_client_sign(struct vp_aws_client *c, enum vp_aws_service svc,
			   const struct vp_aws_params *params, const struct vp_aws_header *extra,
			   size_t extra_count, struct vp_aws_signed_request **out,
			   struct vp_error *err)
{
	if (!c->have_endpoint[svc])
		return vp_fail(err, VP_ERR_INVALID, "%s", c->endpoint_error[svc]);
	if (params->status != VP_OK)
		return vp_fail(err, VP_ERR_RANGE, "request parameters too long");
	if (c->anonymous)
		return vp_fail(err, VP_ERR_AUTH, "an anonymous client cannot sign");
	{
		struct payload pl = form_payload(params);
		return sign_params(c, &c->endpoints[svc], &pl, extra, extra_count, out, err);
	}
}

/* One attempt: sign (unless anonymous) and send. */
static vp_code attempt(struct vp_aws_client *c, const struct vp_aws_endpoint *ep,
		       const struct payload *pl, struct vp_aws_http_response *resp,
		       bool *credentials_failed, struct vp_error *err)
{
	struct vp_aws_http_request req = {
		.method = pl->method,
		.body = pl->data,
		.body_len = pl->len,
		.connect_timeout_ms = c->connect_timeout_ms,
		.timeout_ms = pl->timeout_ms ? pl->timeout_ms : c->timeout_ms,
	};
	struct vp_aws_header plain[1] = {{"Content-Type", pl->content_type}};
	struct vp_aws_header headers[VP_AWS_SIGV4_MAX_HEADERS];
	struct vp_aws_signed_request *signed_req = NULL;
	char url[VP_AWS_URL_MAX + VP_AWS_PATH_MAX];
	vp_code rc;

	*credentials_failed = false;
	if (c->anonymous) {
		if ((size_t)snprintf(url, sizeof(url), "%s%s", ep->url, pl->path) >= sizeof(url))
			return vp_fail(err, VP_ERR_RANGE, "request URL too long");
		req.url = url;
		req.headers = plain;
		req.header_count = 1;
		return vp_aws_http_send(c->http, &req, resp, err);
	}
	rc = sign_params(c, ep, pl, pl->extra, pl->extra_count, &signed_req, err);
	if (rc != VP_OK) {
		*credentials_failed = true;
		return rc;
	}
	/* Host is signed; curl sends the same value from the URL, so it is not repeated. */
	for (size_t i = 0, n = 0; i < signed_req->header_count; i++) {
		if (strcasecmp(signed_req->headers[i].name, "Host") == 0)
			continue;
		headers[n++] = (struct vp_aws_header){signed_req->headers[i].name,
						      signed_req->headers[i].value};
		req.header_count = n;
	}
	req.url = signed_req->url;
	req.headers = headers;
	rc = vp_aws_http_send(c->http, &req, resp, err);
	vp_aws_signed_request_free(signed_req);
	return rc;
}

static vp_code call(struct vp_aws_client *c, enum vp_aws_service svc, const char *action,
		    const struct payload *pl, vp_code params_status, struct vp_buf *response,
		    struct vp_aws_error *aerr)
{
	struct vp_aws_error local;
	struct vp_aws_http_response resp;
	struct vp_error err;
	const struct vp_aws_endpoint *ep;
	char what[96];
	int retry_cost = 0;
	bool transport = false, quota_empty = false;
	vp_code rc;

	if (!aerr)
		aerr = &local;
	vp_aws_error_clear(aerr);
	snprintf(what, sizeof(what), "%s %s", vp_aws_service_name(svc), action);
	if (!c->have_endpoint[svc])
		return vp_aws_error_fail(aerr, VP_ERR_INVALID, "%s: %s", what,
					 c->endpoint_error[svc]);
	if (params_status != VP_OK)
		return vp_aws_error_fail(aerr, VP_ERR_RANGE, "%s: request parameters too long",
					 what);
	ep = &c->endpoints[svc];
	vp_aws_http_response_init(&resp);
	for (int n = 1;; n++) {
		bool credentials_failed = false, throttling = false, retryable;
		int cost;

		aerr->attempts = n;
		vp_error_clear(&err);
		rc = attempt(c, ep, pl, &resp, &credentials_failed, &err);
		if (credentials_failed) {
			vp_aws_error_fail(aerr,
					  err.code == VP_ERR_NOMEM ? VP_ERR_NOMEM : VP_ERR_AUTH,
					  "%s: %s", what, err.message);
			goto done;
		}
		transport = rc != VP_OK;
		if (!transport && resp.status >= 200 && resp.status < 300) {
			vp_aws_retry_quota_release(&c->quota,
						   retry_cost ? retry_cost
							      : VP_AWS_RETRY_NO_RETRY_INCREMENT);
			if (pl->function_error)
				snprintf(pl->function_error, sizeof(resp.function_error), "%s",
					 resp.function_error);
			vp_buf_reset(response);
			if (vp_buf_append(response, resp.body.data ? resp.body.data : "",
					  resp.body.len) != VP_OK) {
				rc = vp_aws_error_fail(aerr, VP_ERR_RANGE,
						       "%s: response of %zu bytes is too large",
						       what, resp.body.len);
				goto done;
			}
			rc = VP_OK;
			goto done;
		}
		if (transport) {
			aerr->http_status = 0;
			aerr->code[0] = aerr->message[0] = '\0';
		} else {
			/* Not an error document: aerr->code stays "" and the status speaks. */
			if (pl->json)
				vp_ignore(vp_aws_error_parse_json(resp.status, resp.error_type,
								  resp.body.data, resp.body.len,
								  aerr));
			else
				vp_ignore(vp_aws_error_parse(resp.status, resp.body.data,
							     resp.body.len, aerr));
			if (!aerr->request_id[0])
				snprintf(aerr->request_id, sizeof(aerr->request_id), "%s",
					 resp.request_id);
			if (strcmp(aerr->code, "ExpiredToken") == 0 ||
			    strcmp(aerr->code, "ExpiredTokenException") == 0)
				vp_aws_credentials_provider_invalidate(c->credentials);
		}
		retryable = vp_aws_retry_should_retry(transport, aerr->http_status, aerr->code,
						      &throttling);
		aerr->retryable = retryable;
		aerr->throttling = throttling;
		if (!retryable || n >= (pl->max_attempts > 0 && pl->max_attempts < c->max_attempts
						? pl->max_attempts
						: c->max_attempts))
			break;
		cost = transport && resp.failure == VP_AWS_HTTP_TIMEOUT ? VP_AWS_RETRY_TIMEOUT_COST
									: VP_AWS_RETRY_COST;
		if (!vp_aws_retry_quota_acquire(&c->quota, cost)) {
			quota_empty = true;
			break;
		}
		retry_cost = cost;
		vp_clock_sleep_ms((int64_t)(vp_aws_retry_delay(n, c->base_delay, c->max_backoff,
							       vp_aws_random01()) *
					    1000.0));
	}
	if (transport) {
		rc = vp_aws_error_fail(aerr, VP_ERR_IO, "%s: %s (%d attempt%s%s)", what,
				       err.message, aerr->attempts, aerr->attempts == 1 ? "" : "s",
				       quota_empty ? ", retry quota exhausted" : "");
		aerr->retryable = true;
	} else {
		rc = vp_aws_error_finish(aerr, what);
		if (quota_empty) {
			size_t len = strlen(aerr->error.message);
			snprintf(aerr->error.message + len, sizeof(aerr->error.message) - len,
				 "; retry quota exhausted");
		}
	}
done:
	vp_aws_http_response_wipe(&resp); /* may hold temporary credentials */
	return rc;
}

vp_code vp_aws_client_call(struct vp_aws_client *c, enum vp_aws_service svc, const char *action,
			   const struct vp_aws_params *params, struct vp_buf *response,
			   struct vp_aws_error *aerr)
{
	struct payload pl = form_payload(params);
	return call(c, svc, action, &pl, params->status, response, aerr);
}

/* The answer of a call (form or JSON) read by `parse`; the body wiped before it is freed. */
static vp_code call_and_parse(struct vp_aws_client *c, enum vp_aws_service svc, const char *action,
			      const struct payload *pl, vp_code params_status,
			      vp_aws_body_parser parse, void *ctx, struct vp_aws_error *err)
{
	struct vp_buf body;
	struct vp_error perr;
	vp_code rc;

	vp_buf_init(&body, VP_AWS_XML_MAX);
	rc = call(c, svc, action, pl, params_status, &body, err);
	if (rc == VP_OK && parse) {
		rc = parse(body.data, body.len, ctx, &perr);
		if (rc != VP_OK)
			rc = vp_aws_error_fail(err, rc, "%s %s: %s", vp_aws_service_name(svc),
					       action, perr.message);
	}
	if (body.data)
		OPENSSL_cleanse(body.data, body.len);
	vp_buf_cleanup(&body);
	return rc;
}

vp_code vp_aws_client_call_json(struct vp_aws_client *c, enum vp_aws_service svc,
				const char *action, const char *path, const char *json,
				vp_aws_body_parser parse, void *ctx, struct vp_aws_error *err)
{
	struct payload pl = {.method = "POST",
			     .path = path,
			     .content_type = json_type,
			     .data = json,
			     .len = json ? strlen(json) : 0,
			     .json = true};

	if (!path || path[0] != '/' || strlen(path) >= VP_AWS_PATH_MAX || !json)
		return vp_aws_error_fail(err, VP_ERR_INVALID, "%s %s: a path and a body are needed",
					 vp_aws_service_name(svc), action);
	return call_and_parse(c, svc, action, &pl, VP_OK, parse, ctx, err);
}

vp_code vp_aws_client_rest(struct vp_aws_client *c, enum vp_aws_service svc, const char *action,
			   const char *method, const char *path, const char *content_type,
			   const void *body, size_t body_len, struct vp_buf *response,
			   struct vp_aws_error *aerr)
{
	struct vp_aws_rest_request req = {
		.method = method,
		.path = path,
		.content_type = content_type ? content_type : "application/xml",
		.body = body,
		.body_len = body_len,
	};

	return vp_aws_client_rest_ex(c, svc, action, &req, response, NULL, aerr);
}

vp_code vp_aws_client_call_parse(struct vp_aws_client *c, enum vp_aws_service svc,
				 const char *action, const struct vp_aws_params *params,
				 vp_aws_body_parser parse, void *ctx, struct vp_aws_error *err)
{
	struct payload pl = form_payload(params);
	return call_and_parse(c, svc, action, &pl, params->status, parse, ctx, err);
}

vp_code vp_aws_client_rest_ex(struct vp_aws_client *c, enum vp_aws_service svc, const char *action,
			      const struct vp_aws_rest_request *req, struct vp_buf *response,
			      char function_error[VP_AWS_FUNCTION_ERROR_MAX],
			      struct vp_aws_error *aerr)
{
	struct payload pl = {req->method,
			     req->path,
			     req->content_type ? req->content_type : json_type,
			     (const char *)req->body,
			     req->body_len,
			     req->json_errors,
			     req->headers,
			     req->header_count,
			     req->timeout_ms,
			     req->max_attempts,
			     function_error};

	if (function_error)
		function_error[0] = '\0';
	if (!req->method || !req->path || req->path[0] != '/' ||
	    strlen(req->path) >= VP_AWS_PATH_MAX) {
		vp_aws_error_clear(aerr);
		return vp_aws_error_fail(aerr, VP_ERR_INVALID,
					 "%s %s: the request path must start with / and be shorter "
					 "than %d bytes",
					 vp_aws_service_name(svc), action, VP_AWS_PATH_MAX);
	}
	return call(c, svc, action, &pl, VP_OK, response, aerr);
}
