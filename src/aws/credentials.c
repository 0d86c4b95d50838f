/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/credentials.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/clock.h"
#include "core/file.h"

#define TOKEN_FILE_MAX ((size_t)64 << 10)

/* --- credentials values ------------------------------------------------- */

void vp_aws_secret_free(char *s)
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
	vp_aws_secret_free(c->access_key_id);
	vp_aws_secret_free(c->secret_access_key);
	vp_aws_secret_free(c->session_token);
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

vp_code vp_aws_credentials_parse_json(const char *body, size_t len, const char *source,
				      struct vp_aws_credentials *out, struct vp_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *akid, *secret, *token, *expiration, *code;
	int64_t exp = 0;
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
	rc = expiration ? vp_clock_parse_iso8601(expiration, &exp, err) : VP_OK;
	if (rc == VP_OK)
		rc = vp_aws_credentials_set(out, akid, secret, token, (time_t)exp, source, err);
	json_decref(doc);
	return rc;
}

vp_code vp_aws_credentials_read_token(const char *path, const char *what, char **out,
				      struct vp_error *err)
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
		vp_aws_secret_free(buf);
		return vp_fail(err, VP_ERR_AUTH, "the %s %s is empty or binary", what, path);
	}
	*out = buf;
	return VP_OK;
}

/* --- providers ------------------------------------------------------------ */

struct vp_aws_credentials_provider {
	atomic_int refs;
	pthread_mutex_t lock;
	const struct vp_aws_credentials_source *source;
	void *state;
	const char *name;
	struct vp_aws_credentials cached;
	bool have;
	time_t refresh_at;
	vp_aws_clock_fn clock;
	void *clock_ctx;
	int advisory, mandatory;
	unsigned fetches;
};

static time_t default_clock(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

vp_code vp_aws_credentials_provider_new(const struct vp_aws_credentials_source *source, void *state,
					const char *name, const struct vp_aws_chain_options *o,
					struct vp_aws_credentials_provider **out,
					struct vp_error *err)
{
	struct vp_aws_credentials_provider *p = calloc(1, sizeof(*p));

	if (!p) {
		source->free(state);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	atomic_init(&p->refs, 1);
	pthread_mutex_init(&p->lock, NULL);
	p->source = source;
	p->state = state;
	p->name = name;
	p->clock = o && o->clock ? o->clock : default_clock;
	p->clock_ctx = o ? o->clock_ctx : NULL;
	p->advisory = o && o->advisory_refresh_s > 0 ? o->advisory_refresh_s : 15 * 60;
	p->mandatory = o && o->mandatory_refresh_s > 0 ? o->mandatory_refresh_s : 10 * 60;
	if (p->mandatory > p->advisory)
		p->mandatory = p->advisory;
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
	p->source->free(p->state);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* --- fixed credentials ------------------------------------------------------ */

static vp_code fetch_fixed(void *state, time_t now, struct vp_aws_credentials *out,
			   struct vp_error *err)
{
	const struct vp_aws_credentials *fixed = state;

	if (fixed->expiration && now >= fixed->expiration)
		return vp_fail(err, VP_ERR_AUTH, "the credentials from the %s have expired",
			       fixed->source);
	return credentials_copy(out, fixed, err);
}

static void free_fixed(void *state)
{
	vp_aws_credentials_cleanup(state);
	free(state);
}

static const struct vp_aws_credentials_source fixed_source = {fetch_fixed, free_fixed};

vp_code vp_aws_credentials_provider_new_fixed(const char *name, const char *akid,
					      const char *secret, const char *token,
					      time_t expiration,
					      const struct vp_aws_chain_options *o,
					      struct vp_aws_credentials_provider **out,
					      struct vp_error *err)
{
	struct vp_aws_credentials *fixed = calloc(1, sizeof(*fixed));
	vp_code rc;

	if (!fixed)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	rc = vp_aws_credentials_set(fixed, akid, secret, token, expiration, name, err);
	if (rc != VP_OK) {
		free_fixed(fixed);
		return rc;
	}
	return vp_aws_credentials_provider_new(&fixed_source, fixed, name, o, out, err);
}

vp_code vp_aws_credentials_provider_new_static(const char *akid, const char *secret,
					       const char *token,
					       struct vp_aws_credentials_provider **out,
					       struct vp_error *err)
{
	return vp_aws_credentials_provider_new_fixed("static", akid, secret, token, 0, NULL, out,
						     err);
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
	if (p->source != &fixed_source) {
		vp_aws_credentials_cleanup(&p->cached);
		p->have = false;
	}
	pthread_mutex_unlock(&p->lock);
}

/* --- caching and refresh ---------------------------------------------------- */

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
		rc = p->source->fetch(p->state, now, &next, &ferr);
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
