/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Identity proofs: the client packs an unsent, signed sts:GetCallerIdentity;
 * the broker checks it (parse_proof), then answers from its cache or replays
 * it to STS. docs/api.md "Identity proof" is the contract.
 *
 * Nothing here echoes a signature, a session token or a key: messages name
 * the field that is wrong and, for values that are not secret (method, URL,
 * server id, dates), the value, truncated.
 */
#include "api/auth.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/client.h"
#include "aws/endpoint.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/sts.h"
#include "core/buf.h"

#define GCI_BODY               "Action=GetCallerIdentity&Version=2011-06-15"
#define GCI_BODY_SWAPPED       "Version=2011-06-15&Action=GetCallerIdentity"
#define MAX_HEADER_NAME        64
#define MAX_AKID               128
#define DEFAULT_CACHE_ENTRIES  4096
#define MAX_CACHE_ENTRIES      ((size_t)1 << 20)
#define MAX_MAX_AGE            3600
#define DEFAULT_STS_TIMEOUT_MS 10000L
#define STS_MAX_RESPONSE       ((size_t)64 << 10)
#define NO_ENTRY               UINT32_MAX

/* One verified proof: the identity STS gave for a signature, until it expires. */
struct cache_entry {
	char signature[VP_AWS_SHA256_HEX_LEN + 1];
	unsigned char digest[32];
	int64_t expires;
	struct vp_identity identity;
	uint32_t hash_next;
	uint32_t lru_prev, lru_next;
};

struct vp_auth {
	char server_id[VP_AUTH_SERVER_ID_MAX + 1];
	const struct vp_aws_partition *partition;
	bool have_endpoint;
	char endpoint_url[VP_AWS_URL_MAX + 8]; /* "scheme://host[:port]/" */
	int64_t max_age;
	long sts_timeout_ms;
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
	struct vp_aws_http *http;

	pthread_mutex_t lock; /* the cache below */
	struct cache_entry *entries;
	size_t capacity, used;
	uint32_t *buckets;
	size_t bucket_mask;
	uint32_t lru_head, lru_tail; /* most and least recently used */
};

/* The headers a proof may carry, each at most once. */
enum proof_header {
	H_HOST,
	H_CONTENT_TYPE,
	H_CONTENT_LENGTH,
	H_USER_AGENT,
	H_AMZ_DATE,
	H_AMZ_SECURITY_TOKEN,
	H_AMZ_CONTENT_SHA256,
	H_SERVER_ID,
	H_AUTHORIZATION,
	H_COUNT
};

static const char *const header_names[H_COUNT] = {
	"Host",          "Content-Type",         "Content-Length",       "User-Agent",
	"X-Amz-Date",    "X-Amz-Security-Token", "X-Amz-Content-Sha256", VP_AUTH_SERVER_ID_HEADER,
	"Authorization",
};

static int64_t system_clock(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

/* Visible ASCII, no spaces: survives SigV4's header-value trimming unchanged. */
static vp_code check_server_id(const char *id, struct vp_error *err)
{
	size_t len = id ? strlen(id) : 0;

	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID, "the server id is empty");
	if (len > VP_AUTH_SERVER_ID_MAX)
		return vp_fail(err, VP_ERR_INVALID, "the server id is %zu characters, more than %d",
			       len, VP_AUTH_SERVER_ID_MAX);
	for (size_t i = 0; i < len; i++)
		if (id[i] < 0x21 || id[i] > 0x7e)
			return vp_fail(err, VP_ERR_INVALID,
				       "the server id must be printable ASCII without spaces");
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

vp_code vp_auth_make_proof(struct vp_aws_client *client, const char *server_id, char **header_value,
			   struct vp_error *err)
{
	struct vp_aws_header extra = {VP_AUTH_SERVER_ID_HEADER, server_id};
	struct vp_aws_signed_request *req = NULL;
	const size_t scheme_len = strlen(VP_AUTH_SCHEME);
	struct vp_buf json;
	size_t b64_len;
	char *value;
	vp_code rc;

	rc = check_server_id(server_id, err);
	if (rc != VP_OK)
		return rc;
	rc = vp_aws_sts_sign_get_caller_identity(client, &extra, 1, &req, err);
	if (rc != VP_OK)
		return rc;
	vp_buf_init(&json, VP_AUTH_MAX_HEADER);
	if (pack_request(req, &json) != VP_OK) {
		rc = vp_fail(err, VP_ERR_RANGE, "the identity proof would be longer than %d bytes",
			     VP_AUTH_MAX_HEADER);
		goto done;
	}
	b64_len = 4 * ((json.len + 2) / 3);
	if (scheme_len + 1 + b64_len > VP_AUTH_MAX_HEADER) {
		rc = vp_fail(err, VP_ERR_RANGE,
			     "the identity proof would be %zu bytes, more than %d",
			     scheme_len + 1 + b64_len, VP_AUTH_MAX_HEADER);
		goto done;
	}
	value = malloc(scheme_len + 1 + b64_len + 1);
	if (!value) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto done;
	}
	memcpy(value, VP_AUTH_SCHEME " ", scheme_len + 1);
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

vp_code vp_auth_default_server_id(const char *broker_url, char *out, size_t size,
				  struct vp_error *err)
{
	char *scheme = NULL, *host = NULL, *port = NULL;
	CURLU *u = curl_url();
	CURLUcode uc;
	vp_code rc = VP_OK;
	int n;

	if (!u)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	uc = curl_url_set(u, CURLUPART_URL, broker_url, 0);
	if (uc != CURLUE_OK) {
		rc = vp_fail(err, VP_ERR_INVALID, "'%.200s' is not a URL: %s", broker_url,
			     curl_url_strerror(uc));
		goto done;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
		rc = vp_fail(err, VP_ERR_INVALID, "'%.200s' is not an http:// or https:// URL",
			     broker_url);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0] ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		rc = vp_fail(err, VP_ERR_INVALID, "'%.200s' has no host", broker_url);
		goto done;
	}
	/* Host names are case-insensitive: both sides lower-case them. */
	for (char *p = host; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	n = snprintf(out, size, "%s:%s", host, port);
	if (n < 0 || (size_t)n >= size || n > VP_AUTH_SERVER_ID_MAX)
		rc = vp_fail(err, VP_ERR_RANGE, "the host of '%.200s' is too long for a server id",
			     broker_url);
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* ------------------------------------------------------------------ configuration */

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
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *part = NULL;
	CURLU *u = curl_url();
	vp_code rc = VP_OK;
	int n;

	if (!u)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = vp_fail(err, VP_ERR_INVALID, "the STS endpoint '%.200s' is not an http(s) URL",
			     url);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK ||
	    (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strcmp(path, "/") != 0)) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the STS endpoint '%.200s' must be scheme://host[:port] only", url);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		n = snprintf(out, size, "%s://%s:%s/", scheme, host, port);
	else
		n = snprintf(out, size, "%s://%s/", scheme, host);
	if (n < 0 || (size_t)n >= size)
		rc = vp_fail(err, VP_ERR_RANGE, "the STS endpoint URL is too long");
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(part);
	curl_url_cleanup(u);
	return rc;
}

vp_code vp_auth_new(const struct vp_auth_config *cfg, struct vp_auth **out, struct vp_error *err)
{
	struct vp_auth *a;
	size_t buckets = 1;
	vp_code rc;

	rc = check_server_id(cfg->server_id, err);
	if (rc != VP_OK)
		return rc;
	if (cfg->max_age_seconds < 0 || cfg->max_age_seconds > MAX_MAX_AGE)
		return vp_fail(err, VP_ERR_INVALID, "the proof max age must be 1..%d seconds",
			       MAX_MAX_AGE);
	if (cfg->cache_entries > MAX_CACHE_ENTRIES)
		return vp_fail(err, VP_ERR_INVALID, "the proof cache holds at most %zu entries",
			       MAX_CACHE_ENTRIES);
	a = calloc(1, sizeof(*a));
	if (!a)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	memcpy(a->server_id, cfg->server_id, strlen(cfg->server_id) + 1);
	a->partition = partition_named(cfg->partition ? cfg->partition : "aws");
	if (!a->partition) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "unknown partition '%.64s' (aws, aws-cn or aws-us-gov)",
			     cfg->partition);
		goto fail;
	}
	if (cfg->sts_endpoint) {
		rc = endpoint_base(cfg->sts_endpoint, a->endpoint_url, sizeof(a->endpoint_url),
				   err);
		if (rc != VP_OK)
			goto fail;
		a->have_endpoint = true;
	}
	a->max_age = cfg->max_age_seconds ? cfg->max_age_seconds : VP_AUTH_DEFAULT_MAX_AGE;
	a->sts_timeout_ms = cfg->sts_timeout_ms > 0 ? cfg->sts_timeout_ms : DEFAULT_STS_TIMEOUT_MS;
	a->clock = cfg->clock ? cfg->clock : system_clock;
	a->clock_ctx = cfg->clock_ctx;
	a->capacity = cfg->cache_entries ? cfg->cache_entries : DEFAULT_CACHE_ENTRIES;
	while (buckets < a->capacity)
		buckets <<= 1;
	a->bucket_mask = buckets - 1;
	a->entries = calloc(a->capacity, sizeof(*a->entries));
	a->buckets = malloc(buckets * sizeof(*a->buckets));
	if (!a->entries || !a->buckets) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < buckets; i++)
		a->buckets[i] = NO_ENTRY;
	a->lru_head = a->lru_tail = NO_ENTRY;
	rc = vp_aws_http_new(&a->http, err);
	if (rc != VP_OK)
		goto fail;
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return VP_OK;
fail:
	free(a->entries);
	free(a->buckets);
	free(a);
	return rc;
}

void vp_auth_free(struct vp_auth *a)
{
	if (!a)
		return;
	vp_aws_http_free(a->http);
	pthread_mutex_destroy(&a->lock);
	OPENSSL_cleanse(a->entries, a->capacity * sizeof(*a->entries));
	free(a->entries);
	free(a->buckets);
	free(a);
}

/* ------------------------------------------------------------------ parsing and checks */

void vp_auth_proof_cleanup(struct vp_auth_proof *p)
{
	if (!p)
		return;
	if (p->body)
		OPENSSL_cleanse(p->body, p->body_len);
	free(p->method);
	free(p->url);
	free(p->body);
	for (size_t i = 0; i < p->header_count; i++) {
		OPENSSL_cleanse(p->headers[i].value, strlen(p->headers[i].value));
		free(p->headers[i].name);
		free(p->headers[i].value);
	}
	OPENSSL_cleanse(p, sizeof(*p));
	memset(p, 0, sizeof(*p));
}

/* "Vpcpeer-Proof <token>": the token, with surrounding blanks removed. */
static vp_code split_scheme(const char *value, const char **token, size_t *len,
			    struct vp_error *err)
{
	const size_t scheme_len = strlen(VP_AUTH_SCHEME);
	size_t n, start, end;

	if (!value || !value[0])
		return vp_fail(err, VP_ERR_AUTH,
			       "no identity proof: send 'Authorization: " VP_AUTH_SCHEME
			       " <base64 JSON>' (docs/api.md)");
	n = strnlen(value, VP_AUTH_MAX_HEADER + 1);
	if (n > VP_AUTH_MAX_HEADER)
		return vp_fail(err, VP_ERR_AUTH, "the Authorization header is longer than %d bytes",
			       VP_AUTH_MAX_HEADER);
	if (n <= scheme_len || strncasecmp(value, VP_AUTH_SCHEME, scheme_len) != 0 ||
	    (value[scheme_len] != ' ' && value[scheme_len] != '\t')) {
		size_t w = strcspn(value, " \t");
		bool printable = true;
		for (size_t i = 0; i < w; i++)
			if (value[i] < 0x21 || value[i] > 0x7e)
				printable = false;
		if (w == n && n == scheme_len && strncasecmp(value, VP_AUTH_SCHEME, n) == 0)
			return vp_fail(err, VP_ERR_AUTH, "the " VP_AUTH_SCHEME " is empty");
		if (printable && w > 0 && w <= 32)
			return vp_fail(err, VP_ERR_AUTH,
				       "the Authorization scheme is '%.*s', not " VP_AUTH_SCHEME,
				       (int)w, value);
		return vp_fail(err, VP_ERR_AUTH,
			       "the Authorization header is not '" VP_AUTH_SCHEME
			       " <base64 JSON>'");
	}
	start = scheme_len;
	while (start < n && (value[start] == ' ' || value[start] == '\t'))
		start++;
	end = n;
	while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
		end--;
	if (end == start)
		return vp_fail(err, VP_ERR_AUTH, "the " VP_AUTH_SCHEME " is empty");
	*token = value + start;
	*len = end - start;
	return VP_OK;
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Standard base64 with padding (RFC 4648 §4), nothing else. *out is NUL-terminated. */
static vp_code b64_decode(const char *in, size_t len, unsigned char **out, size_t *out_len,
			  struct vp_error *err)
{
	size_t pad = 0;
	unsigned char *buf;
	int n;

	if (len % 4 != 0)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is not base64: its length %zu is not a multiple of 4",
			       len);
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '=' && i + 2 >= len) {
			pad++;
		} else if (!is_b64(in[i]) || pad > 0) {
			return vp_fail(err, VP_ERR_AUTH,
				       "the proof is not base64: bad character at position %zu",
				       i + 1);
		}
	}
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(buf);
		return vp_fail(err, VP_ERR_AUTH, "the proof is not base64");
	}
	*out_len = (size_t)n - pad;
	buf[*out_len] = '\0';
	*out = buf;
	return VP_OK;
}

/* Wipe every string of a parsed document before it is freed (tokens, signatures). */
static void wipe_json(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v)) {
		/* jansson frees its strings without wiping them. */
		OPENSSL_cleanse((void *)(uintptr_t)json_string_value(v), json_string_length(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item) wipe_json(item);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) wipe_json(item);
	}
}

static char *dup_string(json_t *v)
{
	size_t len = json_string_length(v);
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, json_string_value(v), len);
		s[len] = '\0';
	}
	return s;
}

static bool is_tchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* The four fields, with their exact types; unknown fields are refused. */
static vp_code read_document(json_t *doc, struct vp_auth_proof *p, struct vp_error *err)
{
	json_t *method, *url, *headers, *body, *value;
	const char *key;

	if (!json_is_object(doc))
		return vp_fail(err, VP_ERR_AUTH, "the proof must be a JSON object");
	json_object_foreach(doc, key, value)
	{
		if (strcmp(key, "method") != 0 && strcmp(key, "url") != 0 &&
		    strcmp(key, "headers") != 0 && strcmp(key, "body") != 0)
			return vp_fail(err, VP_ERR_AUTH,
				       "the proof has an unknown field (expected method, url, "
				       "headers, body)");
	}
	method = json_object_get(doc, "method");
	url = json_object_get(doc, "url");
	headers = json_object_get(doc, "headers");
	body = json_object_get(doc, "body");
	if (!method || !url || !headers || !body)
		return vp_fail(err, VP_ERR_AUTH, "the proof lacks its %s field",
			       !method    ? "method"
			       : !url     ? "url"
			       : !headers ? "headers"
					  : "body");
	if (!json_is_string(method) || !json_is_string(url) || !json_is_string(body))
		return vp_fail(err, VP_ERR_AUTH, "the proof's %s must be a string",
			       !json_is_string(method) ? "method"
			       : !json_is_string(url)  ? "url"
						       : "body");
	if (!json_is_object(headers))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's headers must be an object of strings");
	if (json_object_size(headers) > VP_AUTH_MAX_PROOF_HEADERS)
		return vp_fail(err, VP_ERR_AUTH, "the proof has %zu headers, more than %d",
			       json_object_size(headers), VP_AUTH_MAX_PROOF_HEADERS);
	p->method = dup_string(method);
	p->url = dup_string(url);
	p->body = dup_string(body);
	p->body_len = json_string_length(body);
	if (!p->method || !p->url || !p->body)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	json_object_foreach(headers, key, value)
	{
		struct vp_aws_owned_header *h = &p->headers[p->header_count];
		if (!json_is_string(value))
			return vp_fail(err, VP_ERR_AUTH,
				       "the proof's header values must be strings");
		h->name = strdup(key);
		h->value = dup_string(value);
		p->header_count++;
		if (!h->name || !h->value)
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	return VP_OK;
}

/* A region of this partition's shape ("eu-west-1", "us-gov-west-1"), not any label. */
static bool region_of(const struct vp_aws_partition *part, const char *region)
{
	static const char *const aws_prefixes[] = {"us-", "eu-", "ap-", "sa-", "ca-",
						   "me-", "af-", "il-", "mx-", NULL};
	const char *p = region;
	size_t words = 0;

	/* [a-z]+(-[a-z]+)+-[0-9]+ */
	for (;;) {
		size_t letters = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (letters == 0 || p[letters] != '-')
			break;
		words++;
		p += letters + 1;
	}
	if (words < 2 || !*p || strspn(p, "0123456789") != strlen(p))
		return false;
	if (vp_aws_partition_for_region(region) != part)
		return false;
	if (strcmp(part->name, "aws") != 0)
		return true;
	for (size_t i = 0; aws_prefixes[i]; i++)
		if (strncmp(region, aws_prefixes[i], 3) == 0)
			return true;
	return false;
}

/* The host of a partition STS endpoint: sts.amazonaws.com or sts.<region>.<suffix>. */
static bool partition_host(const struct vp_aws_partition *part, const char *host)
{
	size_t n = strlen(host), suffix = strlen(part->dns_suffix);
	char region[VP_AWS_REGION_MAX];
	size_t rlen;

	if (strcmp(part->name, "aws") == 0 && strcmp(host, "sts.amazonaws.com") == 0)
		return true;
	if (n < 4 + suffix + 2 || strncmp(host, "sts.", 4) != 0 ||
	    strcmp(host + n - suffix, part->dns_suffix) != 0 || host[n - suffix - 1] != '.')
		return false;
	rlen = n - suffix - 1 - 4;
	if (rlen == 0 || rlen >= sizeof(region))
		return false;
	memcpy(region, host + 4, rlen);
	region[rlen] = '\0';
	return region_of(part, region);
}

/*
 * The URL: an STS endpoint of the partition or the configured one, path "/",
 * nothing else. *host_port is what the Host header must be (caller frees).
 */
static vp_code check_url(const struct vp_auth *a, const char *url, char **host_port,
			 struct vp_error *err)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *part = NULL;
	char expected[VP_AWS_URL_MAX + 16];
	CURLU *u;
	vp_code rc = VP_OK;
	int n;

	if (strlen(url) > VP_AWS_URL_MAX)
		return vp_fail(err, VP_ERR_AUTH, "the proof's URL is longer than %d bytes",
			       VP_AWS_URL_MAX);
	for (const char *c = url; *c; c++)
		if (*c < 0x21 || *c > 0x7e)
			return vp_fail(err, VP_ERR_AUTH,
				       "the proof's URL has a space or a control "
				       "character");
	u = curl_url();
	if (!u)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL '%.100s' is not a valid URL", url);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL must not carry a user name");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL must not have a query string");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL must not have a fragment");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || strcmp(path, "/") != 0) {
		rc = vp_fail(err, VP_ERR_AUTH,
			     "the proof's URL must have the path '/', not '%.60s'",
			     path ? path : "");
		goto done;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	n = port ? snprintf(expected, sizeof(expected), "%s://%s:%s/", scheme, host, port)
		 : snprintf(expected, sizeof(expected), "%s://%s/", scheme, host);
	if (n < 0 || (size_t)n >= sizeof(expected)) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL is too long");
		goto done;
	}
	if (a->have_endpoint && strcmp(expected, a->endpoint_url) == 0) {
		/* the configured endpoint */
	} else if (partition_host(a->partition, host) && !port) {
		if (strcmp(scheme, "https") != 0) {
			rc = vp_fail(err, VP_ERR_AUTH,
				     "the proof's URL must use https://, not %.10s://", scheme);
			goto done;
		}
	} else {
		rc = vp_fail(err, VP_ERR_AUTH,
			     "the proof's URL '%.100s' is not an STS endpoint of partition %s%s%s",
			     url, a->partition->name, a->have_endpoint ? " nor " : "",
			     a->have_endpoint ? a->endpoint_url : "");
		goto done;
	}
	/* The string itself, so what is replayed is exactly what was checked. */
	if (strcmp(url, expected) != 0) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL must be written exactly '%s'",
			     expected);
		goto done;
	}
	*host_port = malloc(strlen(host) + (port ? strlen(port) + 1 : 0) + 1);
	if (!*host_port) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (port)
		snprintf(*host_port, strlen(host) + strlen(port) + 2, "%s:%s", host, port);
	else
		memcpy(*host_port, host, strlen(host) + 1);
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(part);
	curl_url_cleanup(u);
	return rc;
}

/* "YYYYMMDDTHHMMSSZ" to unix seconds. */
static bool parse_amz_date(const char *s, int64_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int v[6] = {0};
	static const int widths[6] = {4, 2, 2, 2, 2, 2};
	struct tm tm;
	const char *c = s;
	time_t t;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	for (int f = 0; f < 6; f++) {
		if (f == 3)
			c++; /* 'T' */
		for (int i = 0; i < widths[f]; i++, c++) {
			if (*c < '0' || *c > '9')
				return false;
			v[f] = v[f] * 10 + (*c - '0');
		}
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
	    v[3] > 23 || v[4] > 59 || v[5] > 60)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != v[2])
		return false;
	*out = (int64_t)t;
	return true;
}

struct sigv4_auth {
	char date8[9];
	char region[VP_AWS_REGION_MAX];
	char signed_headers[512];
	char signature[VP_AWS_SHA256_HEX_LEN + 1];
};

/* "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/sts/aws4_request, SignedHeaders=.., Signature=.."
 */
static vp_code parse_sigv4(const char *v, struct sigv4_auth *out, struct vp_error *err)
{
	static const char algo[] = "AWS4-HMAC-SHA256 ";
	bool have_cred = false, have_signed = false, have_sig = false;
	const char *p = v;

	memset(out, 0, sizeof(*out));
	if (strncmp(v, algo, sizeof(algo) - 1) != 0)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's Authorization header is not AWS4-HMAC-SHA256");
	p += sizeof(algo) - 1;
	while (*p) {
		const char *end, *eq;
		size_t len, vlen;

		while (*p == ' ')
			p++;
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		eq = memchr(p, '=', len);
		if (!eq)
			return vp_fail(err, VP_ERR_AUTH,
				       "the proof's Authorization header is malformed");
		vlen = len - (size_t)(eq + 1 - p);
		if ((size_t)(eq - p) == 10 && strncmp(p, "Credential", 10) == 0 && !have_cred) {
			/* AKID/YYYYMMDD/region/service/aws4_request */
			const char *f = eq + 1, *fend = eq + 1 + vlen, *slash[4];
			size_t k = 0;
			for (const char *c = f; c < fend; c++)
				if (*c == '/') {
					if (k == 4)
						return vp_fail(err, VP_ERR_AUTH,
							       "the proof's credential scope is "
							       "malformed");
					slash[k++] = c;
				}
			if (k != 4 || slash[0] == f || slash[0] - f > MAX_AKID ||
			    slash[1] - slash[0] != 9 ||
			    (size_t)(slash[2] - slash[1] - 1) >= sizeof(out->region) ||
			    slash[2] - slash[1] < 2)
				return vp_fail(err, VP_ERR_AUTH,
					       "the proof's credential scope is malformed");
			for (const char *c = f; c < slash[0]; c++)
				if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
					return vp_fail(err, VP_ERR_AUTH,
						       "the proof's access key id is malformed");
			memcpy(out->date8, slash[0] + 1, 8);
			memcpy(out->region, slash[1] + 1, (size_t)(slash[2] - slash[1] - 1));
			if (!vp_aws_region_valid(out->region))
				return vp_fail(err, VP_ERR_AUTH,
					       "the proof's credential scope has no valid region");
			if ((size_t)(slash[3] - slash[2] - 1) != 3 ||
			    strncmp(slash[2] + 1, "sts", 3) != 0)
				return vp_fail(
					err, VP_ERR_AUTH,
					"the proof's credential scope is not for service sts");
			if ((size_t)(fend - slash[3] - 1) != 12 ||
			    strncmp(slash[3] + 1, "aws4_request", 12) != 0)
				return vp_fail(err, VP_ERR_AUTH,
					       "the proof's credential scope does not end in "
					       "aws4_request");
			have_cred = true;
		} else if ((size_t)(eq - p) == 13 && strncmp(p, "SignedHeaders", 13) == 0 &&
			   !have_signed) {
			if (vlen == 0 || vlen >= sizeof(out->signed_headers))
				return vp_fail(err, VP_ERR_AUTH,
					       "the proof's SignedHeaders is empty or too long");
			memcpy(out->signed_headers, eq + 1, vlen);
			have_signed = true;
		} else if ((size_t)(eq - p) == 9 && strncmp(p, "Signature", 9) == 0 && !have_sig) {
			if (vlen != VP_AWS_SHA256_HEX_LEN)
				return vp_fail(err, VP_ERR_AUTH,
					       "the proof's signature is not 64 hex digits");
			for (size_t i = 0; i < vlen; i++) {
				char c = eq[1 + i];
				if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
					return vp_fail(
						err, VP_ERR_AUTH,
						"the proof's signature is not 64 hex digits");
			}
			memcpy(out->signature, eq + 1, vlen);
			have_sig = true;
		} else {
			return vp_fail(
				err, VP_ERR_AUTH,
				"the proof's Authorization header has an unknown or repeated "
				"part (expected Credential, SignedHeaders, Signature)");
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (!have_cred || !have_signed || !have_sig)
		return vp_fail(err, VP_ERR_AUTH, "the proof's Authorization header lacks %s",
			       !have_cred     ? "Credential"
			       : !have_signed ? "SignedHeaders"
					      : "Signature");
	return VP_OK;
}

/* Whether the ';'-separated list names `name`. */
static bool list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ";");
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == ';')
			p++;
	}
	return false;
}

static vp_code check_headers(const struct vp_auth *a, struct vp_auth_proof *p,
			     const char *host_port, int64_t now, struct vp_error *err)
{
	const char *h[H_COUNT] = {0};
	struct sigv4_auth auth;
	int64_t signed_at;
	vp_code rc;

	for (size_t i = 0; i < p->header_count; i++) {
		const char *name = p->headers[i].name, *value = p->headers[i].value;
		size_t nlen = strlen(name);
		int k;

		if (nlen == 0 || nlen > MAX_HEADER_NAME)
			return vp_fail(err, VP_ERR_AUTH,
				       "a header name in the proof is empty or too long");
		for (size_t j = 0; j < nlen; j++)
			if (!is_tchar(name[j]))
				return vp_fail(err, VP_ERR_AUTH,
					       "a header name in the proof is not an HTTP token");
		for (k = 0; k < H_COUNT; k++)
			if (strcasecmp(name, header_names[k]) == 0)
				break;
		if (k == H_COUNT)
			return vp_fail(
				err, VP_ERR_AUTH,
				"the proof has a header '%s' that is not allowed (allowed: "
				"Host, Content-Type, Content-Length, User-Agent, X-Amz-Date, "
				"X-Amz-Security-Token, X-Amz-Content-Sha256, "
				"X-Vpcpeer-Server-Id, Authorization)",
				name);
		if (h[k])
			return vp_fail(err, VP_ERR_AUTH, "the proof has the header %s twice",
				       header_names[k]);
		for (const char *c = value; *c; c++)
			if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
				return vp_fail(err, VP_ERR_AUTH,
					       "the proof's %s header has a control character",
					       header_names[k]);
		h[k] = value;
	}
	if (!h[H_AUTHORIZATION])
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof has no Authorization header (the SigV4 "
			       "signature)");
	if (!h[H_AMZ_DATE])
		return vp_fail(err, VP_ERR_AUTH, "the proof has no X-Amz-Date header");
	if (!h[H_SERVER_ID])
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof has no " VP_AUTH_SERVER_ID_HEADER
			       " header: sign one with this broker's server id '%s'",
			       a->server_id);
	rc = parse_sigv4(h[H_AUTHORIZATION], &auth, err);
	if (rc != VP_OK)
		return rc;
	if (!list_has(auth.signed_headers, "host"))
		return vp_fail(err, VP_ERR_AUTH, "the proof's SignedHeaders lacks host");
	if (!list_has(auth.signed_headers, "x-amz-date"))
		return vp_fail(err, VP_ERR_AUTH, "the proof's SignedHeaders lacks x-amz-date");
	if (!list_has(auth.signed_headers, "x-vpcpeer-server-id"))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's " VP_AUTH_SERVER_ID_HEADER
			       " header is not signed (not in SignedHeaders)");
	if (h[H_AMZ_SECURITY_TOKEN] && !list_has(auth.signed_headers, "x-amz-security-token"))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's X-Amz-Security-Token header is not signed");
	/* Every signed header must be there (host may come from the URL). */
	for (const char *s = auth.signed_headers; *s;) {
		size_t len = strcspn(s, ";");
		bool found = len == 4 && strncmp(s, "host", 4) == 0;
		for (int k = 0; k < H_COUNT && !found; k++)
			found = h[k] && strlen(header_names[k]) == len &&
				strncasecmp(s, header_names[k], len) == 0;
		if (!found)
			return vp_fail(
				err, VP_ERR_AUTH,
				"the proof's SignedHeaders names a header it does not carry");
		s += len;
		if (*s == ';')
			s++;
	}
	if (strcmp(h[H_SERVER_ID], a->server_id) != 0)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is for server id '%.64s', not this broker's '%s'",
			       h[H_SERVER_ID], a->server_id);
	if (h[H_HOST] && strcmp(h[H_HOST], host_port) != 0)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's Host header '%.100s' does not match its URL's '%s'",
			       h[H_HOST], host_port);
	if (h[H_CONTENT_TYPE] &&
	    strncasecmp(h[H_CONTENT_TYPE], "application/x-www-form-urlencoded", 33) != 0)
		return vp_fail(
			err, VP_ERR_AUTH,
			"the proof's Content-Type must be application/x-www-form-urlencoded");
	if (h[H_CONTENT_LENGTH]) {
		char len[24];
		snprintf(len, sizeof(len), "%zu", p->body_len);
		if (strcmp(h[H_CONTENT_LENGTH], len) != 0)
			return vp_fail(err, VP_ERR_AUTH,
				       "the proof's Content-Length does not match its body");
	}
	if (!parse_amz_date(h[H_AMZ_DATE], &signed_at))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's X-Amz-Date '%.20s' is not YYYYMMDDTHHMMSSZ",
			       h[H_AMZ_DATE]);
	if (strncmp(auth.date8, h[H_AMZ_DATE], 8) != 0)
		return vp_fail(
			err, VP_ERR_AUTH,
			"the proof's credential scope date is not the day of its X-Amz-Date");
	if (signed_at < now - a->max_age)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is stale: signed at %s, %lld s before this broker's "
			       "clock (at most %lld s)",
			       h[H_AMZ_DATE], (long long)(now - signed_at), (long long)a->max_age);
	if (signed_at > now + a->max_age)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is dated in the future: signed at %s, %lld s after this "
			       "broker's clock (at most %lld s)",
			       h[H_AMZ_DATE], (long long)(signed_at - now), (long long)a->max_age);
	memcpy(p->signature, auth.signature, sizeof(p->signature));
	p->signed_at = signed_at;
	OPENSSL_cleanse(&auth, sizeof(auth));
	return VP_OK;
}

/* SHA-256 over method, URL, headers (in a fixed order) and body, NUL-separated. */
static void proof_digest(struct vp_auth_proof *p)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;

	memset(p->digest, 0, sizeof(p->digest));
	if (!ctx)
		return;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, p->method, strlen(p->method) + 1);
	EVP_DigestUpdate(ctx, p->url, strlen(p->url) + 1);
	for (int k = 0; k < H_COUNT; k++) {
		for (size_t i = 0; i < p->header_count; i++) {
			if (strcasecmp(p->headers[i].name, header_names[k]) != 0)
				continue;
			EVP_DigestUpdate(ctx, header_names[k], strlen(header_names[k]) + 1);
			EVP_DigestUpdate(ctx, p->headers[i].value, strlen(p->headers[i].value) + 1);
		}
	}
	EVP_DigestUpdate(ctx, p->body, p->body_len);
	EVP_DigestFinal_ex(ctx, p->digest, &n);
	EVP_MD_CTX_free(ctx);
}

vp_code vp_auth_parse_proof(struct vp_auth *a, const char *authorization, struct vp_auth_proof *out,
			    struct vp_error *err)
{
	struct vp_auth_proof p;
	unsigned char *raw = NULL;
	size_t raw_len = 0, token_len = 0;
	const char *token = NULL;
	char *host_port = NULL;
	json_error_t jerr;
	json_t *doc = NULL;
	vp_code rc;

	memset(&p, 0, sizeof(p));
	rc = split_scheme(authorization, &token, &token_len, err);
	if (rc != VP_OK)
		return rc;
	rc = b64_decode(token, token_len, &raw, &raw_len, err);
	if (rc != VP_OK)
		return rc;
	doc = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_cleanse(raw, raw_len);
	free(raw);
	if (!doc)
		/* jerr.text may quote the input: only the position is safe to show. */
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is not valid JSON (or repeats a field) near byte %d",
			       jerr.position);
	rc = read_document(doc, &p, err);
	wipe_json(doc);
	json_decref(doc);
	if (rc != VP_OK)
		goto fail;
	if (strcmp(p.method, "POST") != 0) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's method is '%.16s', not POST", p.method);
		goto fail;
	}
	rc = check_url(a, p.url, &host_port, err);
	if (rc != VP_OK)
		goto fail;
	if (strlen(p.body) != p.body_len ||
	    (strcmp(p.body, GCI_BODY) != 0 && strcmp(p.body, GCI_BODY_SWAPPED) != 0)) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's body is not exactly " GCI_BODY);
		goto fail;
	}
	rc = check_headers(a, &p, host_port, a->clock(a->clock_ctx), err);
	if (rc != VP_OK)
		goto fail;
	free(host_port);
	proof_digest(&p);
	*out = p;
	return VP_OK;
fail:
	free(host_port);
	vp_auth_proof_cleanup(&p);
	return rc;
}

/* ------------------------------------------------------------------ the cache */

static uint32_t bucket_of(const struct vp_auth *a, const char *signature)
{
	uint32_t h = 2166136261u; /* FNV-1a over the hex signature */

	for (int i = 0; i < VP_AWS_SHA256_HEX_LEN; i++)
		h = (h ^ (unsigned char)signature[i]) * 16777619u;
	return h & (uint32_t)a->bucket_mask;
}

static void lru_unlink(struct vp_auth *a, uint32_t i)
{
	struct cache_entry *e = &a->entries[i];

	if (e->lru_prev != NO_ENTRY)
		a->entries[e->lru_prev].lru_next = e->lru_next;
	else
		a->lru_head = e->lru_next;
	if (e->lru_next != NO_ENTRY)
		a->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		a->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NO_ENTRY;
}

static void lru_push_front(struct vp_auth *a, uint32_t i)
{
	struct cache_entry *e = &a->entries[i];

	e->lru_prev = NO_ENTRY;
	e->lru_next = a->lru_head;
	if (a->lru_head != NO_ENTRY)
		a->entries[a->lru_head].lru_prev = i;
	a->lru_head = i;
	if (a->lru_tail == NO_ENTRY)
		a->lru_tail = i;
}

static void hash_unlink(struct vp_auth *a, uint32_t i)
{
	uint32_t *link = &a->buckets[bucket_of(a, a->entries[i].signature)];

	while (*link != NO_ENTRY && *link != i)
		link = &a->entries[*link].hash_next;
	if (*link == i)
		*link = a->entries[i].hash_next;
	a->entries[i].hash_next = NO_ENTRY;
}

static uint32_t cache_find(struct vp_auth *a, const char *signature)
{
	for (uint32_t i = a->buckets[bucket_of(a, signature)]; i != NO_ENTRY;
	     i = a->entries[i].hash_next)
		if (strcmp(a->entries[i].signature, signature) == 0)
			return i;
	return NO_ENTRY;
}

/* Called with the lock held. */
static bool cache_lookup(struct vp_auth *a, const struct vp_auth_proof *p, int64_t now,
			 struct vp_identity *out)
{
	uint32_t i = cache_find(a, p->signature);
	struct cache_entry *e;

	if (i == NO_ENTRY)
		return false;
	e = &a->entries[i];
	if (now > e->expires || memcmp(e->digest, p->digest, sizeof(e->digest)) != 0)
		return false;
	lru_unlink(a, i);
	lru_push_front(a, i);
	*out = e->identity;
	return true;
}

/* Called with the lock held. */
static void cache_insert(struct vp_auth *a, const struct vp_auth_proof *p, int64_t expires,
			 const struct vp_identity *id)
{
	uint32_t i = cache_find(a, p->signature);
	struct cache_entry *e;

	if (i != NO_ENTRY) {
		lru_unlink(a, i);
		hash_unlink(a, i);
	} else if (a->used < a->capacity) {
		i = (uint32_t)a->used++;
	} else {
		i = a->lru_tail;
		lru_unlink(a, i);
		hash_unlink(a, i);
	}
	e = &a->entries[i];
	memcpy(e->signature, p->signature, sizeof(e->signature));
	memcpy(e->digest, p->digest, sizeof(e->digest));
	e->expires = expires;
	e->identity = *id;
	e->hash_next = a->buckets[bucket_of(a, e->signature)];
	a->buckets[bucket_of(a, e->signature)] = i;
	lru_push_front(a, i);
}

/* ------------------------------------------------------------------ the replay */

/* AWS's message, first line only, and nothing that repeats the proof's secrets. */
static void safe_message(const char *msg, const struct vp_auth_proof *p, char *out, size_t size)
{
	size_t n = strcspn(msg, "\r\n");

	if (n >= size)
		n = size - 1;
	memcpy(out, msg, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
	if (strstr(out, p->signature)) {
		snprintf(out, size, "(message withheld)");
		return;
	}
	for (size_t i = 0; i < p->header_count; i++) {
		if (strcasecmp(p->headers[i].name, "X-Amz-Security-Token") == 0 &&
		    strlen(p->headers[i].value) >= 8 && strstr(out, p->headers[i].value)) {
			snprintf(out, size, "(message withheld)");
			return;
		}
	}
}

static vp_code replay(struct vp_auth *a, const struct vp_auth_proof *p, struct vp_identity *out,
		      struct vp_error *err)
{
	struct vp_aws_header headers[VP_AUTH_MAX_PROOF_HEADERS];
	struct vp_aws_http_request req = {
		.method = "POST",
		.url = p->url,
		.headers = headers,
		.body = p->body,
		.body_len = p->body_len,
		.connect_timeout_ms = a->sts_timeout_ms,
		.timeout_ms = a->sts_timeout_ms,
		.max_response = STS_MAX_RESPONSE,
	};
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_http_response resp;
	struct vp_aws_error aerr;
	struct vp_error herr;
	char msg[200];
	vp_code rc;

	/* Content-Length is curl's to send (the same value: it was checked). */
	for (size_t i = 0; i < p->header_count; i++)
		if (strcasecmp(p->headers[i].name, "Content-Length") != 0)
			headers[req.header_count++] =
				(struct vp_aws_header){p->headers[i].name, p->headers[i].value};
	vp_aws_http_response_init(&resp);
	if (vp_aws_http_send(a->http, &req, &resp, &herr) != VP_OK) {
		rc = vp_fail(err, VP_ERR_UNAVAILABLE, "STS could not be reached: %s", herr.message);
		goto done;
	}
	if (resp.status == 200) {
		if (vp_aws_sts_parse_caller_identity(resp.body.data, resp.body.len, &id, &herr) !=
		    VP_OK) {
			rc = vp_fail(err, VP_ERR_AWS, "STS answered the proof unreadably: %s",
				     herr.message);
			goto done;
		}
		if (strlen(id->account) != 12 || strspn(id->account, "0123456789") != 12 ||
		    strlen(id->arn) >= sizeof(out->arn) ||
		    strlen(id->user_id) >= sizeof(out->user_id)) {
			rc = vp_fail(err, VP_ERR_AWS, "STS answered an identity that does not fit");
			goto done;
		}
		memset(out, 0, sizeof(*out));
		memcpy(out->account, id->account, 13);
		memcpy(out->arn, id->arn, strlen(id->arn) + 1);
		memcpy(out->user_id, id->user_id, strlen(id->user_id) + 1);
		rc = VP_OK;
		goto done;
	}
	vp_aws_error_clear(&aerr);
	if (vp_aws_error_parse(resp.status, resp.body.data ? resp.body.data : "", resp.body.len,
			       &aerr) == VP_OK) {
		safe_message(aerr.message, p, msg, sizeof(msg));
		if (vp_aws_error_map(aerr.code, resp.status) == VP_ERR_UNAVAILABLE)
			rc = vp_fail(err, VP_ERR_UNAVAILABLE,
				     "STS is unavailable: %s: %s (HTTP %ld)", aerr.code, msg,
				     resp.status);
		else
			rc = vp_fail(err, VP_ERR_AUTH, "STS refused the proof: %s: %s", aerr.code,
				     msg);
	} else if (resp.status >= 500 || resp.status == 429) {
		rc = vp_fail(err, VP_ERR_UNAVAILABLE, "STS is unavailable: HTTP %ld", resp.status);
	} else {
		rc = vp_fail(err, VP_ERR_AUTH, "STS refused the proof: HTTP %ld", resp.status);
	}
done:
	vp_aws_caller_identity_free(id);
	vp_aws_http_response_cleanup(&resp);
	return rc;
}

vp_code vp_auth_verify(struct vp_auth *a, const char *authorization, struct vp_identity *out,
		       struct vp_error *err)
{
	struct vp_auth_proof p;
	struct vp_identity id;
	int64_t now;
	bool hit;
	vp_code rc;

	rc = vp_auth_parse_proof(a, authorization, &p, err);
	if (rc != VP_OK)
		return rc;
	now = a->clock(a->clock_ctx);
	pthread_mutex_lock(&a->lock);
	hit = cache_lookup(a, &p, now, &id);
	pthread_mutex_unlock(&a->lock);
	if (!hit) {
		rc = replay(a, &p, &id, err);
		if (rc == VP_OK) {
			pthread_mutex_lock(&a->lock);
			cache_insert(a, &p, p.signed_at + a->max_age, &id);
			pthread_mutex_unlock(&a->lock);
		}
	}
	if (rc == VP_OK)
		*out = id;
	vp_auth_proof_cleanup(&p);
	return rc;
}
