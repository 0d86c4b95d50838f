/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/credentials.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/http.h"
#include "aws/sts.h"
#include "core/clock.h"
#include "core/file.h"
#include "core/num.h"
#include "core/url.h"

#define TOKEN_FILE_MAX ((size_t)64 << 10)
#define METADATA_MAX   ((size_t)64 << 10)
#define MAX_ROLE_CHAIN 8
#define IMDS_TOKEN_TTL "21600"

/* --- credentials values ------------------------------------------------- */

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void vp_aws_credentials_init(struct vp_aws_credentials *c)
{
	memset(c, 0, sizeof(*c));
}

void vp_aws_credentials_cleanup(struct vp_aws_credentials *c)
{
	if (!c)
		return;
	wipe_free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	memset(c, 0, sizeof(*c));
}

vp_code vp_aws_credentials_set(struct vp_aws_credentials *c, const char *akid, const char *secret,
			       const char *token, time_t expiration, const char *source,
			       struct vp_error *err)
{
	struct vp_aws_credentials n = {.expiration = expiration, .source = source};

	if (!akid || !akid[0] || !secret || !secret[0])
		return vp_fail(err, VP_ERR_AUTH,
			       "%s: an access key id and a secret key are both needed",
			       source ? source : "credentials");
	n.access_key_id = strdup(akid);
	n.secret_access_key = strdup(secret);
	n.session_token = token && token[0] ? strdup(token) : NULL;
	if (!n.access_key_id || !n.secret_access_key || (token && token[0] && !n.session_token)) {
		vp_aws_credentials_cleanup(&n);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	vp_aws_credentials_cleanup(c);
	*c = n;
	return VP_OK;
}

static vp_code credentials_copy(struct vp_aws_credentials *dst,
				const struct vp_aws_credentials *src, struct vp_error *err)
{
	return vp_aws_credentials_set(dst, src->access_key_id, src->secret_access_key,
				      src->session_token, src->expiration, src->source, err);
}

/* An ISO 8601 time (core/clock.h) as a time_t. */
static vp_code parse_time(const char *s, time_t *out, struct vp_error *err)
{
	int64_t t;
	vp_code rc = vp_clock_parse_iso8601(s, &t, err);

	if (rc == VP_OK)
		*out = (time_t)t;
	return rc;
}

/* --- providers ------------------------------------------------------------ */

enum source_kind { SRC_FIXED, SRC_ASSUME_ROLE, SRC_WEB_IDENTITY, SRC_CONTAINER, SRC_IMDS };

struct vp_aws_credentials_provider {
	atomic_int refs;
	pthread_mutex_t lock;
	enum source_kind kind;
	const char *name;
	struct vp_aws_credentials cached;
	bool have;
	time_t refresh_at;
	vp_aws_clock_fn clock;
	void *clock_ctx;
	int advisory, mandatory;
	unsigned fetches;

	struct vp_aws_credentials fixed; /* SRC_FIXED */
	struct vp_aws_client *sts;       /* SRC_ASSUME_ROLE, SRC_WEB_IDENTITY */
	char *role_arn, *session_name, *external_id, *token_file;
	int duration;
	struct vp_aws_http *http; /* SRC_CONTAINER, SRC_IMDS */
	char *url;                /* the container URL or the IMDS base URL */
	char *auth_token, *auth_token_file;
	long timeout_ms;
	int attempts;
	double retry_delay;
	bool v1_disabled;
};

static time_t default_clock(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

static vp_code provider_alloc(enum source_kind kind, const char *name,
			      const struct vp_aws_chain_options *o,
			      struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	struct vp_aws_credentials_provider *p = calloc(1, sizeof(*p));

	if (!p)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	atomic_init(&p->refs, 1);
	pthread_mutex_init(&p->lock, NULL);
	p->kind = kind;
	p->name = name;
	p->clock = o && o->clock ? o->clock : default_clock;
	p->clock_ctx = o ? o->clock_ctx : NULL;
	p->advisory = o && o->advisory_refresh_s > 0 ? o->advisory_refresh_s : 15 * 60;
	p->mandatory = o && o->mandatory_refresh_s > 0 ? o->mandatory_refresh_s : 10 * 60;
	if (p->mandatory > p->advisory)
		p->mandatory = p->advisory;
	p->retry_delay = o && o->retry_base_delay > 0 ? o->retry_base_delay : 1.0;
	*out = p;
	return VP_OK;
}

struct vp_aws_credentials_provider *
vp_aws_credentials_provider_ref(struct vp_aws_credentials_provider *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

void vp_aws_credentials_provider_free(struct vp_aws_credentials_provider *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	vp_aws_credentials_cleanup(&p->cached);
	vp_aws_credentials_cleanup(&p->fixed);
	vp_aws_client_free(p->sts);
	free(p->role_arn);
	free(p->session_name);
	free(p->external_id);
	free(p->token_file);
	vp_aws_http_free(p->http);
	free(p->url);
	wipe_free(p->auth_token);
	free(p->auth_token_file);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

vp_code vp_aws_credentials_provider_new_static(const char *akid, const char *secret,
					       const char *token,
					       struct vp_aws_credentials_provider **out,
					       struct vp_error *err)
{
	struct vp_aws_credentials_provider *p = NULL;
	vp_code rc = provider_alloc(SRC_FIXED, "static", NULL, &p, err);

	if (rc != VP_OK)
		return rc;
	rc = vp_aws_credentials_set(&p->fixed, akid, secret, token, 0, "static", err);
	if (rc != VP_OK) {
		vp_aws_credentials_provider_free(p);
		return rc;
	}
	*out = p;
	return VP_OK;
}

const char *vp_aws_credentials_provider_source(const struct vp_aws_credentials_provider *p)
{
	return p ? p->name : "none";
}

unsigned vp_aws_credentials_provider_fetches(struct vp_aws_credentials_provider *p)
{
	unsigned n;
	pthread_mutex_lock(&p->lock);
	n = p->fetches;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void vp_aws_credentials_provider_invalidate(struct vp_aws_credentials_provider *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->kind != SRC_FIXED) {
		vp_aws_credentials_cleanup(&p->cached);
		p->have = false;
	}
	pthread_mutex_unlock(&p->lock);
}

/* --- fetching --------------------------------------------------------------- */

/* Read a small file whole (tokens), without trailing line breaks and spaces. *out is the
 * caller's, to wipe and free. */
static vp_code read_token_file(const char *path, const char *what, char **out, struct vp_error *err)
{
	char *buf = NULL;
	size_t n = 0;
	vp_code rc = vp_file_read(path, TOKEN_FILE_MAX, &buf, &n, err);

	if (rc != VP_OK) {
		vp_error_prefix(err, "the %s", what);
		if (rc == VP_ERR_NOT_FOUND || rc == VP_ERR_IO) {
			rc = VP_ERR_AUTH;
			if (err)
				err->code = rc;
		}
		return rc;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n == 0 || strlen(buf) != n) {
		wipe_free(buf);
		return vp_fail(err, VP_ERR_AUTH, "the %s %s is empty or binary", what, path);
	}
	*out = buf;
	return VP_OK;
}

static vp_code fetch_fixed(struct vp_aws_credentials_provider *p, time_t now,
			   struct vp_aws_credentials *out, struct vp_error *err)
{
	if (p->fixed.expiration && now >= p->fixed.expiration)
		return vp_fail(err, VP_ERR_AUTH, "the credentials from the %s have expired",
			       p->fixed.source);
	return credentials_copy(out, &p->fixed, err);
}

static vp_code from_assumed(struct vp_aws_assumed_role *r, const char *source,
			    struct vp_aws_credentials *out, struct vp_error *err)
{
	vp_code rc = credentials_copy(out, &r->credentials, err);
	out->source = source;
	vp_aws_assumed_role_free(r);
	return rc;
}

static vp_code fetch_assume_role(struct vp_aws_credentials_provider *p,
				 struct vp_aws_credentials *out, struct vp_error *err)
{
	struct vp_aws_assume_role_input in = {.role_arn = p->role_arn,
					      .session_name = p->session_name,
					      .external_id = p->external_id,
					      .duration_seconds = p->duration};
	struct vp_aws_assumed_role *r = NULL;
	struct vp_aws_error aerr;

	vp_aws_error_clear(&aerr);
	if (vp_aws_sts_assume_role(p->sts, &in, &r, &aerr) != VP_OK) {
		vp_fail(err, VP_ERR_AUTH, "assuming %s: %s", p->role_arn, aerr.error.message);
		return VP_ERR_AUTH;
	}
	return from_assumed(r, "assume-role", out, err);
}

static vp_code fetch_web_identity(struct vp_aws_credentials_provider *p,
				  struct vp_aws_credentials *out, struct vp_error *err)
{
	struct vp_aws_assumed_role *r = NULL;
	struct vp_aws_error aerr;
	char *token = NULL;
	vp_code rc = read_token_file(p->token_file, "web identity token file", &token, err);

	if (rc != VP_OK)
		return rc;
	vp_aws_error_clear(&aerr);
	rc = vp_aws_sts_assume_role_with_web_identity(p->sts, p->role_arn, p->session_name, token,
						      p->duration, &r, &aerr);
	wipe_free(token);
	if (rc != VP_OK) {
		vp_fail(err, VP_ERR_AUTH, "web identity for %s: %s", p->role_arn,
			aerr.error.message);
		return VP_ERR_AUTH;
	}
	return from_assumed(r, "web-identity", out, err);
}

/* {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"} (container and IMDS). */
static vp_code parse_json_credentials(const char *body, size_t len, const char *source,
				      struct vp_aws_credentials *out, struct vp_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *akid, *secret, *token, *expiration, *code;
	time_t exp = 0;
	vp_code rc;

	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return vp_fail(err, VP_ERR_AUTH,
			       "the %s answered something that is not a JSON object", source);
	}
	code = json_string_value(json_object_get(doc, "Code"));
	if (code && strcmp(code, "Success") != 0) {
		rc = vp_fail(err, VP_ERR_AUTH, "the %s answered Code %.64s", source, code);
		json_decref(doc);
		return rc;
	}
	akid = json_string_value(json_object_get(doc, "AccessKeyId"));
	secret = json_string_value(json_object_get(doc, "SecretAccessKey"));
	token = json_string_value(json_object_get(doc, "Token"));
	expiration = json_string_value(json_object_get(doc, "Expiration"));
	if (!akid || !secret) {
		json_decref(doc);
		return vp_fail(err, VP_ERR_AUTH, "the %s answer has no AccessKeyId/SecretAccessKey",
			       source);
	}
	rc = expiration ? parse_time(expiration, &exp, err) : VP_OK;
	if (rc == VP_OK)
		rc = vp_aws_credentials_set(out, akid, secret, token, exp, source, err);
	json_decref(doc);
	return rc;
}

static void wipe_body(struct vp_aws_http_response *resp)
{
	if (resp->body.data)
		OPENSSL_cleanse(resp->body.data, resp->body.len);
}

static vp_code fetch_container(struct vp_aws_credentials_provider *p,
			       struct vp_aws_credentials *out, struct vp_error *err)
{
	struct vp_aws_http_response resp;
	vp_code rc = VP_ERR_AUTH;

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
			rc = read_token_file(p->auth_token_file,
					     "container authorization token file", &token, err);
			if (rc != VP_OK)
				break;
		}
		if (token || p->auth_token) {
			const char *t = token ? token : p->auth_token;
			if (strpbrk(t, "\r\n")) {
				wipe_free(token);
				rc = vp_fail(err, VP_ERR_AUTH,
					     "the container authorization token has a line break");
				break;
			}
			h[0] = (struct vp_aws_header){"Authorization", t};
			req.header_count = 1;
		}
		rc = vp_aws_http_send(p->http, &req, &resp, err);
		wipe_free(token);
		if (rc == VP_OK && resp.status == 200) {
			rc = parse_json_credentials(resp.body.data, resp.body.len,
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
	wipe_body(&resp);
	vp_aws_http_response_cleanup(&resp);
	return rc;
}

static vp_code imds_get(struct vp_aws_credentials_provider *p, const char *method, const char *path,
			const char *token, struct vp_aws_http_response *resp, struct vp_error *err)
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

static vp_code fetch_imds(struct vp_aws_credentials_provider *p, struct vp_aws_credentials *out,
			  struct vp_error *err)
{
	struct vp_aws_http_response resp;
	char *token = NULL, *role = NULL;
	char path[512];
	vp_code rc;

	vp_aws_http_response_init(&resp);
	rc = imds_get(p, "PUT", "/latest/api/token", NULL, &resp, err);
	if (rc != VP_OK) {
		vp_error_prefix(err, "instance metadata (IMDS)");
		goto fail;
	}
	if (resp.status == 200 && resp.body.len > 0) {
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
		rc = parse_json_credentials(resp.body.data, resp.body.len,
					    "instance metadata (IMDS)", out, err);
fail:
	if (rc != VP_OK && err && err->code != VP_ERR_NOMEM)
		err->code = VP_ERR_AUTH;
	if (rc != VP_OK)
		rc = err ? err->code : VP_ERR_AUTH;
	wipe_body(&resp);
	vp_aws_http_response_cleanup(&resp);
	wipe_free(token);
	free(role);
	return rc;
}

static vp_code fetch(struct vp_aws_credentials_provider *p, time_t now,
		     struct vp_aws_credentials *out, struct vp_error *err)
{
	switch (p->kind) {
	case SRC_FIXED:
		return fetch_fixed(p, now, out, err);
	case SRC_ASSUME_ROLE:
		return fetch_assume_role(p, out, err);
	case SRC_WEB_IDENTITY:
		return fetch_web_identity(p, out, err);
	case SRC_CONTAINER:
		return fetch_container(p, out, err);
	case SRC_IMDS:
		return fetch_imds(p, out, err);
	}
	return vp_fail(err, VP_ERR_INTERNAL, "unknown credentials source");
}

static bool fresh(const struct vp_aws_credentials_provider *p, time_t now)
{
	return p->have && (p->cached.expiration == 0 || now < p->refresh_at);
}

vp_code vp_aws_credentials_provider_get(struct vp_aws_credentials_provider *p,
					struct vp_aws_credentials *out, struct vp_error *err)
{
	struct vp_aws_credentials next;
	struct vp_error ferr;
	time_t now;
	vp_code rc = VP_OK;

	if (!p)
		return vp_fail(err, VP_ERR_AUTH, "no credentials provider");
	vp_aws_credentials_init(&next);
	pthread_mutex_lock(&p->lock);
	now = p->clock(p->clock_ctx);
	if (!fresh(p, now)) {
		vp_error_clear(&ferr);
		p->fetches++;
		rc = fetch(p, now, &next, &ferr);
		if (rc == VP_OK && next.expiration != 0 && next.expiration <= now) {
			rc = vp_fail(
				&ferr, VP_ERR_AUTH,
				"the %s gave credentials that have already expired (clock skew?)",
				p->name);
		}
		if (rc == VP_OK) {
			vp_aws_credentials_cleanup(&p->cached);
			p->cached = next;
			vp_aws_credentials_init(&next);
			p->have = true;
			if (p->cached.expiration) {
				time_t left = p->cached.expiration - now;
				p->refresh_at = p->cached.expiration - p->advisory;
				if (p->refresh_at <= now) /* short-lived: refresh half-way */
					p->refresh_at = now + (left / 2 < 60 ? left / 2 : 60);
			}
		} else if (p->have && p->cached.expiration > now + p->mandatory) {
			rc = VP_OK; /* advisory refresh failed: the cached ones are still good */
		} else {
			if (err)
				*err = ferr;
		}
		vp_aws_credentials_cleanup(&next);
	}
	if (rc == VP_OK)
		rc = credentials_copy(out, &p->cached, err);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* --- the chain ---------------------------------------------------------------- */

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] ? v : NULL;
}

static bool env_true(const char *name)
{
	const char *v = env(name);
	return v && strcasecmp(v, "true") == 0;
}

bool vp_aws_container_uri_allowed(const char *url)
{
	static const char *const hosts[] = {"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
					    "localhost",     "[::1]",          NULL};
	struct vp_url u;
	bool ok = false;

	if (vp_url_parse(url, &u, NULL) != VP_OK)
		return false;
	if (strcmp(u.scheme, "https") == 0) {
		ok = true;
	} else if (strcmp(u.scheme, "http") == 0) {
		ok = strncmp(u.host, "127.", 4) == 0;
		for (size_t i = 0; !ok && hosts[i]; i++)
			ok = strcasecmp(u.host, hosts[i]) == 0;
	}
	vp_url_cleanup(&u);
	return ok;
}

struct chain {
	const struct vp_aws_chain_options *o;
	const struct vp_aws_config *cfg;
};

static vp_code fixed_provider(const char *name, const char *akid, const char *secret,
			      const char *token, time_t expiration,
			      const struct vp_aws_chain_options *o,
			      struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	struct vp_aws_credentials_provider *p = NULL;
	vp_code rc = provider_alloc(SRC_FIXED, name, o, &p, err);

	if (rc == VP_OK)
		rc = vp_aws_credentials_set(&p->fixed, akid, secret, token, expiration, name, err);
	if (rc != VP_OK) {
		vp_aws_credentials_provider_free(p);
		return rc;
	}
	*out = p;
	return VP_OK;
}

static vp_code env_provider(const struct vp_aws_chain_options *o,
			    struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	const char *token =
		env("AWS_SESSION_TOKEN") ? env("AWS_SESSION_TOKEN") : env("AWS_SECURITY_TOKEN");
	const char *exp_text = env("AWS_CREDENTIAL_EXPIRATION");
	time_t exp = 0;
	vp_code rc;

	if (exp_text && (rc = parse_time(exp_text, &exp, err)) != VP_OK) {
		vp_error_prefix(err, "AWS_CREDENTIAL_EXPIRATION");
		return rc;
	}
	return fixed_provider("environment", env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
			      token, exp, o, out, err);
}

static vp_code sts_client(const struct chain *c, struct vp_aws_credentials_provider *source,
			  bool anonymous, struct vp_aws_client **out, struct vp_error *err)
{
	struct vp_aws_client_config cc = {
		.region = c->o->region,
		.endpoint_url = c->o->sts_endpoint_url,
		.credentials = source,
		.anonymous = anonymous,
		.retry_base_delay = c->o->retry_base_delay,
		.clock = c->o->clock,
		.clock_ctx = c->o->clock_ctx,
		.shared_config = c->cfg,
		.profile = c->o->profile,
	};
	return vp_aws_client_new(&cc, out, err);
}

static char *session_name(const char *given)
{
	char buf[64];
	if (given)
		return strdup(given);
	snprintf(buf, sizeof(buf), "vpcpeer-%lld", (long long)time(NULL));
	return strdup(buf);
}

static vp_code web_identity_provider(const struct chain *c, const char *token_file,
				     const char *role_arn, const char *session,
				     struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	struct vp_aws_credentials_provider *p = NULL;
	vp_code rc = provider_alloc(SRC_WEB_IDENTITY, "web-identity", c->o, &p, err);

	if (rc != VP_OK)
		return rc;
	p->token_file = strdup(token_file);
	p->role_arn = strdup(role_arn);
	p->session_name = session_name(session);
	if (!p->token_file || !p->role_arn || !p->session_name)
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = sts_client(c, NULL, true, &p->sts, err);
	if (rc != VP_OK) {
		vp_aws_credentials_provider_free(p);
		return rc;
	}
	*out = p;
	return VP_OK;
}

static vp_code container_provider(const struct chain *c, struct vp_aws_credentials_provider **out,
				  struct vp_error *err)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct vp_aws_credentials_provider *p = NULL;
	char url[VP_AWS_URL_MAX];
	vp_code rc;

	if (rel) {
		if ((size_t)snprintf(url, sizeof(url), "http://169.254.170.2%s%s",
				     rel[0] == '/' ? "" : "/", rel) >= sizeof(url))
			return vp_fail(err, VP_ERR_RANGE,
				       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI too long");
	} else {
		if (!vp_aws_container_uri_allowed(full))
			return vp_fail(
				err, VP_ERR_AUTH,
				"AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' must be https, or http to "
				"a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23",
				full);
		if ((size_t)snprintf(url, sizeof(url), "%s", full) >= sizeof(url))
			return vp_fail(err, VP_ERR_RANGE,
				       "AWS_CONTAINER_CREDENTIALS_FULL_URI too long");
	}
	rc = provider_alloc(SRC_CONTAINER, "container", c->o, &p, err);
	if (rc != VP_OK)
		return rc;
	p->url = strdup(url);
	p->timeout_ms = c->o->container_timeout_ms > 0 ? c->o->container_timeout_ms : 2000;
	p->attempts = c->o->container_attempts > 0 ? c->o->container_attempts : 3;
	if (env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
		p->auth_token_file = strdup(env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
	else if (env("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
		p->auth_token = strdup(env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
	if (!p->url)
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = vp_aws_http_new(&p->http, err);
	if (rc != VP_OK) {
		vp_aws_credentials_provider_free(p);
		return rc;
	}
	*out = p;
	return VP_OK;
}

static vp_code seconds_from_env(const char *name, int64_t max, int64_t *out, struct vp_error *err)
{
	const char *v = env(name);
	if (!v)
		return VP_OK;
	return vp_parse_int64(v, 1, max, name, out, err);
}

static vp_code imds_provider(const struct chain *c, const char *profile,
			     struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	const char *endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	struct vp_aws_credentials_provider *p = NULL;
	int64_t timeout_s = 1, attempts = 1;
	size_t n;
	vp_code rc;

	if (!endpoint)
		endpoint = vp_aws_config_value(c->cfg, profile, "ec2_metadata_service_endpoint");
	if (!mode)
		mode = vp_aws_config_value(c->cfg, profile, "ec2_metadata_service_endpoint_mode");
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
	rc = provider_alloc(SRC_IMDS, "imds", c->o, &p, err);
	if (rc != VP_OK)
		return rc;
	n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	p->url = strndup(endpoint, n);
	p->timeout_ms = c->o->imds_timeout_ms > 0 ? c->o->imds_timeout_ms : (long)timeout_s * 1000;
	p->attempts = c->o->imds_attempts > 0 ? c->o->imds_attempts : (int)attempts;
	p->v1_disabled =
		env_true("AWS_EC2_METADATA_V1_DISABLED") ||
		(vp_aws_config_value(c->cfg, profile, "ec2_metadata_v1_disabled") &&
		 strcasecmp(vp_aws_config_value(c->cfg, profile, "ec2_metadata_v1_disabled"),
			    "true") == 0);
	if (!p->url)
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = vp_aws_http_new(&p->http, err);
	if (rc != VP_OK) {
		vp_aws_credentials_provider_free(p);
		return rc;
	}
	*out = p;
	return VP_OK;
}

static vp_code profile_keys_provider(const struct chain *c, const char *profile,
				     enum vp_aws_config_file which, bool *found,
				     struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	const char *akid = vp_aws_config_file_value(c->cfg, which, profile, "aws_access_key_id");
	const char *secret =
		vp_aws_config_file_value(c->cfg, which, profile, "aws_secret_access_key");
	const char *token = vp_aws_config_file_value(c->cfg, which, profile, "aws_session_token");
	const char *name =
		which == VP_AWS_CREDENTIALS_FILE ? "shared-credentials-file" : "config-file";

	*found = akid != NULL;
	if (!akid)
		return VP_OK;
	if (!secret)
		return vp_fail(err, VP_ERR_AUTH,
			       "profile '%s' in the %s has aws_access_key_id but no "
			       "aws_secret_access_key",
			       profile, name);
	return fixed_provider(name, akid, secret, token, 0, c->o, out, err);
}

static vp_code role_provider(const struct chain *c, const char *profile, int depth,
			     struct vp_aws_credentials_provider **out, struct vp_error *err);

/* The credentials a role's source_profile stands for. */
static vp_code source_profile_provider(const struct chain *c, const char *profile,
				       const char *referrer, int depth,
				       struct vp_aws_credentials_provider **out,
				       struct vp_error *err)
{
	bool found = false;
	vp_code rc;

	if (!vp_aws_config_has_profile(c->cfg, profile))
		return vp_fail(err, VP_ERR_NOT_FOUND,
			       "profile '%s' names source_profile '%s', which does not exist",
			       referrer, profile);
	/* A profile that is its own source uses its keys, not its role. */
	if (strcmp(profile, referrer) != 0 && vp_aws_config_value(c->cfg, profile, "role_arn"))
		return role_provider(c, profile, depth + 1, out, err);
	rc = profile_keys_provider(c, profile, VP_AWS_CREDENTIALS_FILE, &found, out, err);
	if (rc == VP_OK && !found)
		rc = profile_keys_provider(c, profile, VP_AWS_CONFIG_FILE, &found, out, err);
	if (rc == VP_OK && !found) {
		const char *wit = vp_aws_config_value(c->cfg, profile, "web_identity_token_file");
		const char *arn = vp_aws_config_value(c->cfg, profile, "role_arn");
		if (wit && arn)
			return web_identity_provider(
				c, wit, arn,
				vp_aws_config_value(c->cfg, profile, "role_session_name"), out,
				err);
		rc = vp_fail(err, VP_ERR_AUTH, "source_profile '%s' has no credentials", profile);
	}
	return rc;
}

static vp_code role_provider(const struct chain *c, const char *profile, int depth,
			     struct vp_aws_credentials_provider **out, struct vp_error *err)
{
	const char *role_arn = vp_aws_config_value(c->cfg, profile, "role_arn");
	const char *source_profile = vp_aws_config_value(c->cfg, profile, "source_profile");
	const char *credential_source = vp_aws_config_value(c->cfg, profile, "credential_source");
	const char *duration = vp_aws_config_value(c->cfg, profile, "duration_seconds");
	struct vp_aws_credentials_provider *source = NULL, *p = NULL;
	struct chain sub = *c;
	struct vp_aws_chain_options so;
	int64_t seconds = 0;
	vp_code rc;

	if (depth > MAX_ROLE_CHAIN)
		return vp_fail(err, VP_ERR_INVALID,
			       "profile '%s': source_profile chain is longer than %d (a loop?)",
			       profile, MAX_ROLE_CHAIN);
	if (source_profile && credential_source)
		return vp_fail(err, VP_ERR_INVALID,
			       "profile '%s' has both source_profile and credential_source",
			       profile);
	if (duration &&
	    vp_parse_int64(duration, 900, 43200, "duration_seconds", &seconds, err) != VP_OK) {
		vp_error_prefix(err, "profile '%s'", profile);
		return VP_ERR_INVALID;
	}
	so = *c->o;
	sub.o = &so;
	if (source_profile) {
		rc = source_profile_provider(&sub, source_profile, profile, depth, &source, err);
	} else if (strcmp(credential_source, "Environment") == 0) {
		rc = env("AWS_ACCESS_KEY_ID") ? env_provider(c->o, &source, err)
					      : vp_fail(err, VP_ERR_AUTH,
							"credential_source Environment: "
							"AWS_ACCESS_KEY_ID is not set");
	} else if (strcmp(credential_source, "Ec2InstanceMetadata") == 0) {
		rc = imds_provider(c, profile, &source, err);
	} else if (strcmp(credential_source, "EcsContainer") == 0) {
		rc = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
				     env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
			     ? container_provider(c, &source, err)
			     : vp_fail(err, VP_ERR_AUTH,
				       "credential_source EcsContainer: no container "
				       "credentials variables are set");
	} else {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "profile '%s': credential_source '%s' is not Environment, "
			     "Ec2InstanceMetadata or EcsContainer",
			     profile, credential_source);
	}
	if (rc != VP_OK)
		return rc;
	rc = provider_alloc(SRC_ASSUME_ROLE, "assume-role", c->o, &p, err);
	if (rc == VP_OK) {
		const char *ext = vp_aws_config_value(c->cfg, profile, "external_id");
		p->role_arn = strdup(role_arn);
		p->session_name =
			session_name(vp_aws_config_value(c->cfg, profile, "role_session_name"));
		p->external_id = ext ? strdup(ext) : NULL;
		p->duration = (int)seconds;
		if (!p->role_arn || !p->session_name || (ext && !p->external_id))
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		if (rc == VP_OK)
			rc = sts_client(c, source, false, &p->sts, err);
	}
	vp_aws_credentials_provider_free(source); /* the STS client holds its own reference */
	if (rc != VP_OK) {
		vp_aws_credentials_provider_free(p);
		return rc;
	}
	*out = p;
	return VP_OK;
}

vp_code vp_aws_credentials_provider_new_chain(const struct vp_aws_chain_options *opts,
					      struct vp_aws_credentials_provider **out,
					      struct vp_error *err)
{
	static const struct vp_aws_chain_options none;
	struct vp_aws_config *loaded = NULL;
	struct vp_aws_chain_options o = opts ? *opts : none;
	struct chain c = {.o = &o, .cfg = o.config};
	const char *profile = o.profile;
	bool explicit_profile = profile != NULL, found = false;
	vp_code rc = VP_OK;

	if (!profile)
		profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : env("AWS_DEFAULT_PROFILE");
	if (!c.cfg) {
		rc = vp_aws_config_load(NULL, NULL, &loaded, err);
		if (rc != VP_OK)
			return rc;
		c.cfg = loaded;
	}
	if (profile && !vp_aws_config_has_profile(c.cfg, profile) &&
	    strcmp(profile, "default") != 0) {
		rc = vp_fail(
			err, VP_ERR_NOT_FOUND,
			"profile '%s' is in neither the AWS config file nor the credentials file",
			profile);
		goto done;
	}
	if (!profile)
		profile = "default";
	o.profile = profile;

	/* 1. environment (unless a profile was named explicitly) */
	if (!explicit_profile && env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		rc = env_provider(&o, out, err);
		goto done;
	}
	/* 2. the profile's role */
	if (vp_aws_config_value(c.cfg, profile, "role_arn") &&
	    (vp_aws_config_value(c.cfg, profile, "source_profile") ||
	     vp_aws_config_value(c.cfg, profile, "credential_source"))) {
		rc = role_provider(&c, profile, 0, out, err);
		goto done;
	}
	/* 3. web identity: the environment, then the profile */
	if (env("AWS_WEB_IDENTITY_TOKEN_FILE") && env("AWS_ROLE_ARN")) {
		rc = web_identity_provider(&c, env("AWS_WEB_IDENTITY_TOKEN_FILE"),
					   env("AWS_ROLE_ARN"), env("AWS_ROLE_SESSION_NAME"), out,
					   err);
		goto done;
	}
	if (vp_aws_config_value(c.cfg, profile, "web_identity_token_file") &&
	    vp_aws_config_value(c.cfg, profile, "role_arn")) {
		rc = web_identity_provider(
			&c, vp_aws_config_value(c.cfg, profile, "web_identity_token_file"),
			vp_aws_config_value(c.cfg, profile, "role_arn"),
			vp_aws_config_value(c.cfg, profile, "role_session_name"), out, err);
		goto done;
	}
	/* 4, 5. the shared credentials file, then the config file */
	rc = profile_keys_provider(&c, profile, VP_AWS_CREDENTIALS_FILE, &found, out, err);
	if (rc != VP_OK || found)
		goto done;
	rc = profile_keys_provider(&c, profile, VP_AWS_CONFIG_FILE, &found, out, err);
	if (rc != VP_OK || found)
		goto done;
	/* 6. the container endpoint */
	if (env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
	    env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
		rc = container_provider(&c, out, err);
		goto done;
	}
	/* 7. instance metadata */
	if (!env_true("AWS_EC2_METADATA_DISABLED")) {
		rc = imds_provider(&c, profile, out, err);
		goto done;
	}
	rc = vp_fail(err, VP_ERR_AUTH,
		     "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give "
		     "profile '%s' keys or a role in ~/.aws/credentials or ~/.aws/config",
		     profile);
done:
	vp_aws_config_free(loaded);
	return rc;
}
