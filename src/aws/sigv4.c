/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/sigv4.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/credentials.h"
#include "core/url.h"

#define CANONICAL_MAX ((size_t)1 << 20)

vp_code vp_aws_uri_encode(struct vp_buf *out, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		vp_code rc;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
		    (keep_slash && c == '/')) {
			rc = vp_buf_append(out, &s[i], 1);
		} else {
			char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
			rc = vp_buf_append(out, enc, 3);
		}
		if (rc != VP_OK)
			return rc;
	}
	return VP_OK;
}

void vp_aws_sha256_hex(const void *data, size_t len, char hex[VP_AWS_SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

static bool hmac(const void *key, size_t key_len, const void *data, size_t len,
		 unsigned char out[32])
{
	unsigned int n = 32;
	return HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) != NULL && n == 32;
}

vp_code vp_aws_sigv4_signing_key(const char *secret, const char *date8, const char *region,
				 const char *service, unsigned char key[32], struct vp_error *err)
{
	size_t n = strlen(secret);
	unsigned char *k0 = malloc(n + 4);
	unsigned char a[32], b[32];
	bool ok;

	if (!k0)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory signing");
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret, n);
	ok = hmac(k0, n + 4, date8, strlen(date8), a) && hmac(a, 32, region, strlen(region), b) &&
	     hmac(b, 32, service, strlen(service), a) && hmac(a, 32, "aws4_request", 12, key);
	OPENSSL_cleanse(k0, n + 4);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	free(k0);
	return ok ? VP_OK : vp_fail(err, VP_ERR_INTERNAL, "HMAC-SHA256 failed");
}

void vp_aws_amz_date(time_t t, char out[17])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* The URL's parts (core/url.h), http or https only. */
static vp_code url_split(const char *url, struct vp_url *u, struct vp_error *err)
{
	vp_code rc = vp_url_parse(url, u, err);

	if (rc != VP_OK)
		return rc;
	if (strcmp(u->scheme, "https") != 0 && strcmp(u->scheme, "http") != 0) {
		vp_url_cleanup(u);
		return vp_fail(err, VP_ERR_INVALID, "'%s' is not an http or https URL", url);
	}
	return VP_OK;
}

/* "host" or "host:port" when the port is not the scheme's default. */
static vp_code host_header(const struct vp_url *u, struct vp_buf *out)
{
	bool dflt = !u->port || (strcmp(u->scheme, "https") == 0 && strcmp(u->port, "443") == 0) ||
		    (strcmp(u->scheme, "http") == 0 && strcmp(u->port, "80") == 0);
	if (dflt)
		return vp_buf_appends(out, u->host);
	return vp_buf_appendf(out, "%s:%s", u->host, u->port);
}

struct kv {
	char *key; /* canonical (encoded) form */
	char *value;
};

static int kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s, size_t len, bool decode)
{
	struct vp_buf b;
	char *raw = NULL;
	int raw_len = 0;
	char *res;

	if (len == 0) /* curl_easy_unescape() would take a length of 0 as strlen() */
		return strdup("");
	vp_buf_init(&b, CANONICAL_MAX);
	if (decode) {
		raw = curl_easy_unescape(NULL, s, (int)len, &raw_len);
		if (!raw)
			return NULL;
		s = raw;
		len = (size_t)raw_len;
	}
	if (vp_aws_uri_encode(&b, s, len, false) != VP_OK) {
		curl_free(raw);
		vp_buf_cleanup(&b);
		return NULL;
	}
	curl_free(raw);
	res = vp_buf_steal(&b);
	vp_buf_cleanup(&b);
	return res;
}

static vp_code canonical_query(const char *query, struct vp_buf *out, struct vp_error *err)
{
	struct kv *items = NULL;
	size_t count = 0, cap = 0;
	const char *p = query;
	vp_code rc = VP_OK;

	while (p && *p) {
		size_t n = strcspn(p, "&");
		if (n > 0) {
			const char *eq = memchr(p, '=', n);
			size_t klen = eq ? (size_t)(eq - p) : n;
			if (count == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct kv *grown =
					ncap > 4096 ? NULL : realloc(items, ncap * sizeof(*items));
				if (!grown) {
					rc = vp_fail(err, VP_ERR_RANGE,
						     "query string has too many parameters");
					goto cleanup;
				}
				items = grown;
				cap = ncap;
			}
			items[count].key = encode_dup(p, klen, true);
			items[count].value =
				eq ? encode_dup(eq + 1, n - klen - 1, true) : strdup("");
			count++;
			if (!items[count - 1].key || !items[count - 1].value) {
				rc = vp_fail(err, VP_ERR_NOMEM, "out of memory signing the query");
				goto cleanup;
			}
		}
		p += n;
		if (*p == '&')
			p++;
	}
	if (count)
		qsort(items, count, sizeof(*items), kv_cmp);
	for (size_t i = 0; i < count && rc == VP_OK; i++)
		rc = vp_buf_appendf(out, "%s%s=%s", i ? "&" : "", items[i].key, items[i].value);
	if (rc != VP_OK)
		rc = vp_fail(err, VP_ERR_NOMEM, "query string too long to sign");
cleanup:
	for (size_t i = 0; i < count; i++) {
		free(items[i].key);
		free(items[i].value);
	}
	free(items);
	return rc;
}

struct canon_header {
	char name[128];
	const char *value;
	size_t index; /* original order, for stable joining of repeated names */
};

static int canon_header_cmp(const void *a, const void *b)
{
	const struct canon_header *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Trim and collapse runs of spaces (aws-wire.md §1). */
static vp_code append_trimmed(struct vp_buf *out, const char *v)
{
	bool space = false;
	vp_code rc = VP_OK;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v && rc == VP_OK; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
			space = true;
			continue;
		}
		if (space)
			rc = vp_buf_append(out, " ", 1);
		space = false;
		if (rc == VP_OK)
			rc = vp_buf_append(out, v, 1);
	}
	return rc;
}

vp_code vp_aws_sigv4_canonical_request(const char *method, const char *url,
				       const struct vp_aws_header *headers, size_t header_count,
				       const void *body, size_t body_len, struct vp_buf *out,
				       struct vp_buf *signed_headers, struct vp_error *err)
{
	struct canon_header hs[VP_AWS_SIGV4_MAX_HEADERS];
	struct vp_url u;
	char hash[VP_AWS_SHA256_HEX_LEN + 1];
	vp_code rc;

	if (header_count > VP_AWS_SIGV4_MAX_HEADERS)
		return vp_fail(err, VP_ERR_RANGE, "too many headers to sign (at most %d)",
			       VP_AWS_SIGV4_MAX_HEADERS);
	for (size_t i = 0; i < header_count; i++) {
		size_t n = strlen(headers[i].name);
		if (n == 0 || n >= sizeof(hs[i].name))
			return vp_fail(err, VP_ERR_INVALID, "bad header name '%s'",
				       headers[i].name);
		for (size_t j = 0; j <= n; j++)
			hs[i].name[j] = (char)tolower((unsigned char)headers[i].name[j]);
		hs[i].value = headers[i].value ? headers[i].value : "";
		hs[i].index = i;
	}
	qsort(hs, header_count, sizeof(hs[0]), canon_header_cmp);

	rc = url_split(url, &u, err);
	if (rc != VP_OK)
		return rc;
	rc = vp_buf_appendf(out, "%s\n", method);
	if (rc == VP_OK)
		rc = u.path[0] ? vp_aws_uri_encode(out, u.path, strlen(u.path), true)
			       : vp_buf_appends(out, "/");
	if (rc == VP_OK)
		rc = vp_buf_appends(out, "\n");
	if (rc == VP_OK) {
		rc = canonical_query(u.query, out, err);
		if (rc != VP_OK) {
			vp_url_cleanup(&u);
			return rc;
		}
		rc = vp_buf_appends(out, "\n");
	}
	vp_url_cleanup(&u);
	for (size_t i = 0; i < header_count && rc == VP_OK; i++) {
		bool repeat = i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0;
		if (repeat) {
			rc = vp_buf_appends(out, ",");
		} else {
			if (i > 0)
				rc = vp_buf_appends(out, "\n");
			if (rc == VP_OK)
				rc = vp_buf_appendf(out, "%s:", hs[i].name);
			if (rc == VP_OK)
				rc = vp_buf_appendf(signed_headers, "%s%s",
						    signed_headers->len ? ";" : "", hs[i].name);
		}
		if (rc == VP_OK)
			rc = append_trimmed(out, hs[i].value);
	}
	if (rc == VP_OK)
		rc = vp_buf_appendf(out, "%s\n\n%s\n", header_count ? "" : "",
				    vp_buf_str(signed_headers));
	vp_aws_sha256_hex(body_len ? body : "", body_len, hash);
	if (rc == VP_OK)
		rc = vp_buf_appends(out, hash);
	if (rc != VP_OK)
		return vp_fail(err, VP_ERR_NOMEM, "request too large to sign");
	return VP_OK;
}

static vp_code add_header(struct vp_aws_signed_request *r, const char *name, const char *value)
{
	struct vp_aws_owned_header *h = &r->headers[r->header_count];
	h->name = strdup(name);
	h->value = strdup(value);
	r->header_count++;
	return h->name && h->value ? VP_OK : VP_ERR_NOMEM;
}

static bool has_header(const struct vp_aws_header *headers, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(headers[i].name, name) == 0)
			return true;
	return false;
}

vp_code vp_aws_sigv4_sign(const char *method, const char *url, const struct vp_aws_header *headers,
			  size_t header_count, const void *body, size_t body_len,
			  const struct vp_aws_sigv4_params *p, struct vp_aws_signed_request **out,
			  struct vp_error *err)
{
	struct vp_aws_header all[VP_AWS_SIGV4_MAX_HEADERS];
	struct vp_aws_signed_request *r = NULL;
	struct vp_buf host, canon, signed_names, sts, auth;
	struct vp_url u;
	char date[17], date8[9], hash[VP_AWS_SHA256_HEX_LEN + 1], sig[65];
	unsigned char key[32], mac[32];
	size_t n = 0;
	vp_code rc;

	if (header_count + 3 > VP_AWS_SIGV4_MAX_HEADERS)
		return vp_fail(err, VP_ERR_RANGE, "too many headers to sign");
	if (!p->access_key_id || !p->access_key_id[0] || !p->secret_access_key ||
	    !p->secret_access_key[0])
		return vp_fail(err, VP_ERR_AUTH, "no credentials to sign with");
	for (size_t i = 0; i < header_count; i++)
		if (strcasecmp(headers[i].name, "host") == 0 ||
		    strcasecmp(headers[i].name, "authorization") == 0)
			return vp_fail(err, VP_ERR_INVALID, "header '%s' is set by the signer",
				       headers[i].name);
	rc = url_split(url, &u, err);
	if (rc != VP_OK)
		return rc;
	vp_buf_init(&host, 1024);
	vp_buf_init(&canon, CANONICAL_MAX);
	vp_buf_init(&signed_names, 4096);
	vp_buf_init(&sts, 4096);
	vp_buf_init(&auth, 8192);
	rc = host_header(&u, &host);
	vp_url_cleanup(&u);
	if (rc != VP_OK) {
		rc = vp_fail(err, VP_ERR_RANGE, "host name too long");
		goto cleanup;
	}

	vp_aws_amz_date(p->time, date);
	memcpy(date8, date, 8);
	date8[8] = '\0';
	all[n++] = (struct vp_aws_header){"Host", vp_buf_str(&host)};
	for (size_t i = 0; i < header_count; i++)
		all[n++] = headers[i];
	if (!has_header(headers, header_count, "x-amz-date"))
		all[n++] = (struct vp_aws_header){"X-Amz-Date", date};
	if (p->session_token && p->session_token[0] &&
	    !has_header(headers, header_count, "x-amz-security-token"))
		all[n++] = (struct vp_aws_header){"X-Amz-Security-Token", p->session_token};

	rc = vp_aws_sigv4_canonical_request(method, url, all, n, body, body_len, &canon,
					    &signed_names, err);
	if (rc != VP_OK)
		goto cleanup;
	vp_aws_sha256_hex(canon.data, canon.len, hash);
	if (vp_buf_appendf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", date, date8,
			   p->region, p->service, hash) != VP_OK) {
		rc = vp_fail(err, VP_ERR_RANGE, "credential scope too long");
		goto cleanup;
	}
	rc = vp_aws_sigv4_signing_key(p->secret_access_key, date8, p->region, p->service, key, err);
	if (rc != VP_OK)
		goto cleanup;
	if (!hmac(key, sizeof(key), sts.data, sts.len, mac)) {
		rc = vp_fail(err, VP_ERR_INTERNAL, "HMAC-SHA256 failed");
		goto cleanup;
	}
	for (size_t i = 0; i < 32; i++)
		snprintf(sig + 2 * i, 3, "%02x", mac[i]);
	if (vp_buf_appendf(
		    &auth,
		    "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
		    "Signature=%s",
		    p->access_key_id, date8, p->region, p->service, vp_buf_str(&signed_names),
		    sig) != VP_OK) {
		rc = vp_fail(err, VP_ERR_RANGE, "Authorization header too long");
		goto cleanup;
	}

	rc = VP_ERR_NOMEM;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->headers = calloc(n + 1, sizeof(*r->headers))))
		goto nomem;
	r->method = strdup(method);
	r->url = strdup(url);
	r->body = malloc(body_len + 1);
	r->signature = strdup(sig);
	if (!r->method || !r->url || !r->body || !r->signature)
		goto nomem;
	if (body_len)
		memcpy(r->body, body, body_len);
	r->body[body_len] = '\0';
	r->body_len = body_len;
	for (size_t i = 0; i < n; i++)
		if (add_header(r, all[i].name, all[i].value) != VP_OK)
			goto nomem;
	if (add_header(r, "Authorization", vp_buf_str(&auth)) != VP_OK)
		goto nomem;
	*out = r;
	r = NULL;
	rc = VP_OK;
	goto cleanup;
nomem:
	rc = vp_fail(err, VP_ERR_NOMEM, "out of memory signing a request");
cleanup:
	vp_aws_signed_request_free(r);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(sig, sizeof(sig));
	if (canon.data)
		OPENSSL_cleanse(canon.data, canon.len); /* holds the session token */
	if (auth.data)
		OPENSSL_cleanse(auth.data, auth.len);
	vp_buf_cleanup(&host);
	vp_buf_cleanup(&canon);
	vp_buf_cleanup(&signed_names);
	vp_buf_cleanup(&sts);
	vp_buf_cleanup(&auth);
	return rc;
}

void vp_aws_signed_request_free(struct vp_aws_signed_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->url);
	for (size_t i = 0; r->headers && i < r->header_count; i++) {
		free(r->headers[i].name);
		vp_aws_secret_free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	vp_aws_secret_free(r->signature);
	free(r);
}

const char *vp_aws_signed_request_header(const struct vp_aws_signed_request *r, const char *name)
{
	for (size_t i = 0; i < r->header_count; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}
