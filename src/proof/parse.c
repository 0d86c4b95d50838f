/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding and checking an identity proof on the broker's side, before any
 * replay: the scheme, base64, the JSON document, the URL (an STS endpoint),
 * the body (exactly GetCallerIdentity), the headers (allowed, signed, the
 * server id, fresh). docs/api.md "Identity proof" is the contract.
 *
 * Nothing here echoes a signature, a session token or a key: messages name
 * the field that is wrong and, for values that are not secret (method, URL,
 * server id, dates), the value, truncated.
 */
#include "proof/proof.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/url.h"

#define GCI_BODY         "Action=GetCallerIdentity&Version=2011-06-15"
#define GCI_BODY_SWAPPED "Version=2011-06-15&Action=GetCallerIdentity"
#define MAX_HEADER_NAME  64
#define MAX_AKID         128

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
	H_REQUEST,
	H_COUNT
};

static const char *const header_names[H_COUNT] = {
	"Host",          "Content-Type",          "Content-Length",       "User-Agent",
	"X-Amz-Date",    "X-Amz-Security-Token",  "X-Amz-Content-Sha256", VP_PROOF_SERVER_ID_HEADER,
	"Authorization", VP_PROOF_REQUEST_HEADER,
};

void vp_proof_cleanup(struct vp_proof *p)
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
	const size_t scheme_len = strlen(VP_PROOF_SCHEME);
	size_t n, start, end;

	if (!value || !value[0])
		return vp_fail(err, VP_ERR_AUTH,
			       "no identity proof: send 'Authorization: " VP_PROOF_SCHEME
			       " <base64 JSON>' (docs/api.md)");
	n = strnlen(value, VP_PROOF_MAX_HEADER + 1);
	if (n > VP_PROOF_MAX_HEADER)
		return vp_fail(err, VP_ERR_AUTH, "the Authorization header is longer than %d bytes",
			       VP_PROOF_MAX_HEADER);
	if (n <= scheme_len || strncasecmp(value, VP_PROOF_SCHEME, scheme_len) != 0 ||
	    (value[scheme_len] != ' ' && value[scheme_len] != '\t')) {
		size_t w = strcspn(value, " \t");
		bool printable = true;
		for (size_t i = 0; i < w; i++)
			if (value[i] < 0x21 || value[i] > 0x7e)
				printable = false;
		if (w == n && n == scheme_len && strncasecmp(value, VP_PROOF_SCHEME, n) == 0)
			return vp_fail(err, VP_ERR_AUTH, "the " VP_PROOF_SCHEME " is empty");
		if (printable && w > 0 && w <= 32)
			return vp_fail(err, VP_ERR_AUTH,
				       "the Authorization scheme is '%.*s', not " VP_PROOF_SCHEME,
				       (int)w, value);
		return vp_fail(err, VP_ERR_AUTH,
			       "the Authorization header is not '" VP_PROOF_SCHEME
			       " <base64 JSON>'");
	}
	start = scheme_len;
	while (start < n && (value[start] == ' ' || value[start] == '\t'))
		start++;
	end = n;
	while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
		end--;
	if (end == start)
		return vp_fail(err, VP_ERR_AUTH, "the " VP_PROOF_SCHEME " is empty");
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
static vp_code read_document(json_t *doc, struct vp_proof *p, struct vp_error *err)
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
	if (json_object_size(headers) > VP_PROOF_MAX_PROOF_HEADERS)
		return vp_fail(err, VP_ERR_AUTH, "the proof has %zu headers, more than %d",
			       json_object_size(headers), VP_PROOF_MAX_PROOF_HEADERS);
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

/*
 * The host of a partition STS endpoint: sts.amazonaws.com, sts.<region>.<suffix>, or the FIPS
 * sts-fips.<region>.<suffix> (the SDKs' STS endpoint rules with use_fips; AWS General
 * Reference, "AWS Security Token Service endpoints and quotas").
 */
static bool partition_host(const struct vp_aws_partition *part, const char *host)
{
	size_t n = strlen(host), suffix = strlen(part->dns_suffix), prefix;
	char region[VP_AWS_REGION_MAX];
	size_t rlen;

	if (strcmp(part->name, "aws") == 0 && strcmp(host, "sts.amazonaws.com") == 0)
		return true;
	prefix = strncmp(host, "sts-fips.", 9) == 0 ? 9 : 4;
	if (n < prefix + suffix + 2 || (prefix == 4 && strncmp(host, "sts.", 4) != 0) ||
	    strcmp(host + n - suffix, part->dns_suffix) != 0 || host[n - suffix - 1] != '.')
		return false;
	rlen = n - suffix - 1 - prefix;
	if (rlen == 0 || rlen >= sizeof(region))
		return false;
	memcpy(region, host + prefix, rlen);
	region[rlen] = '\0';
	return region_of(part, region);
}

static bool extra_host(const struct vp_proof_rules *r, const char *base)
{
	for (size_t i = 0; i < r->sts_host_count; i++)
		if (strcmp(base, r->sts_hosts[i]) == 0)
			return true;
	return false;
}

/*
 * The URL: an STS endpoint of the partition or the configured one, path "/",
 * nothing else. *host_port is what the Host header must be (caller frees).
 */
static vp_code check_url(const struct vp_proof_rules *r, const char *url, char **host_port,
			 struct vp_error *err)
{
	char expected[VP_AWS_URL_MAX + 16];
	struct vp_url u;
	vp_code rc;
	int n;

	if (strlen(url) > VP_AWS_URL_MAX)
		return vp_fail(err, VP_ERR_AUTH, "the proof's URL is longer than %d bytes",
			       VP_AWS_URL_MAX);
	for (const char *c = url; *c; c++)
		if (*c < 0x21 || *c > 0x7e)
			return vp_fail(err, VP_ERR_AUTH,
				       "the proof's URL has a space or a control "
				       "character");
	rc = vp_url_parse(url, &u, NULL);
	if (rc == VP_ERR_NOMEM)
		return vp_fail(err, rc, "out of memory");
	if (rc != VP_OK)
		return vp_fail(err, VP_ERR_AUTH, "the proof's URL '%.100s' is not a valid URL",
			       url);
	if (u.user) {
		/* curl reports a user (maybe "") for any user:password@ part. */
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL must not carry a user name");
		goto done;
	}
	if (u.query) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL must not have a query string");
		goto done;
	}
	if (u.fragment) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL must not have a fragment");
		goto done;
	}
	if (strcmp(u.path, "/") != 0) {
		rc = vp_fail(err, VP_ERR_AUTH,
			     "the proof's URL must have the path '/', not '%.60s'", u.path);
		goto done;
	}
	n = u.port ? snprintf(expected, sizeof(expected), "%s://%s:%s/", u.scheme, u.host, u.port)
		   : snprintf(expected, sizeof(expected), "%s://%s/", u.scheme, u.host);
	if (n < 0 || (size_t)n >= sizeof(expected)) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL is too long");
		goto done;
	}
	if ((r->have_endpoint && strcmp(expected, r->endpoint_url) == 0) ||
	    extra_host(r, expected)) {
		/* the configured endpoint, or one the operator added (--sts-endpoint) */
	} else if (partition_host(r->partition, u.host) && !u.port) {
		if (strcmp(u.scheme, "https") != 0) {
			rc = vp_fail(err, VP_ERR_AUTH,
				     "the proof's URL must use https://, not %.10s://", u.scheme);
			goto done;
		}
	} else {
		rc = vp_fail(err, VP_ERR_AUTH,
			     "the proof's URL '%.100s' is not an STS endpoint of partition %s%s%s "
			     "(the broker takes others listed with --sts-endpoint)",
			     url, r->partition->name, r->have_endpoint ? " nor " : "",
			     r->have_endpoint ? r->endpoint_url : "");
		goto done;
	}
	/* The string itself, so what is replayed is exactly what was checked. */
	if (strcmp(url, expected) != 0) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's URL must be written exactly '%s'",
			     expected);
		goto done;
	}
	*host_port = malloc(strlen(u.host) + (u.port ? strlen(u.port) + 1 : 0) + 1);
	if (!*host_port) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (u.port)
		snprintf(*host_port, strlen(u.host) + strlen(u.port) + 2, "%s:%s", u.host, u.port);
	else
		memcpy(*host_port, u.host, strlen(u.host) + 1);
done:
	vp_url_cleanup(&u);
	return rc;
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

static vp_code check_headers(const struct vp_proof_rules *r, struct vp_proof *p,
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
				"X-Vpcpeer-Server-Id, Authorization, X-Vpcpeer-Request)",
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
			       "the proof has no " VP_PROOF_SERVER_ID_HEADER
			       " header: sign one with this broker's server id '%s'",
			       r->server_id);
	rc = parse_sigv4(h[H_AUTHORIZATION], &auth, err);
	if (rc != VP_OK)
		return rc;
	if (!list_has(auth.signed_headers, "host"))
		return vp_fail(err, VP_ERR_AUTH, "the proof's SignedHeaders lacks host");
	if (!list_has(auth.signed_headers, "x-amz-date"))
		return vp_fail(err, VP_ERR_AUTH, "the proof's SignedHeaders lacks x-amz-date");
	if (!list_has(auth.signed_headers, "x-vpcpeer-server-id"))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's " VP_PROOF_SERVER_ID_HEADER
			       " header is not signed (not in SignedHeaders)");
	if (h[H_AMZ_SECURITY_TOKEN] && !list_has(auth.signed_headers, "x-amz-security-token"))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's X-Amz-Security-Token header is not signed");
	if (h[H_REQUEST] && !list_has(auth.signed_headers, "x-vpcpeer-request"))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's " VP_PROOF_REQUEST_HEADER
			       " header is not signed (not in SignedHeaders)");
	if (h[H_REQUEST] && strlen(h[H_REQUEST]) > VP_PROOF_REQUEST_MAX)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's " VP_PROOF_REQUEST_HEADER
			       " header is longer than %d bytes",
			       VP_PROOF_REQUEST_MAX);
	/* Every signed header must be there (host may come from the URL). */
	for (const char *s = auth.signed_headers; *s;) {
		size_t len = strcspn(s, ";");
		bool found = len == 4 && strncmp(s, "host", 4) == 0;
		for (int k = 0; k < H_COUNT && !found; k++) {
			found = h[k] && strlen(header_names[k]) == len &&
				strncasecmp(s, header_names[k], len) == 0;
			if (found)
				p->signed_mask |= 1u << k;
		}
		if (!found)
			return vp_fail(
				err, VP_ERR_AUTH,
				"the proof's SignedHeaders names a header it does not carry");
		s += len;
		if (*s == ';')
			s++;
	}
	if (strcmp(h[H_SERVER_ID], r->server_id) != 0)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is for server id '%.64s', not this broker's '%s'",
			       h[H_SERVER_ID], r->server_id);
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
	if (!vp_clock_parse_amz_date(h[H_AMZ_DATE], &signed_at))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof's X-Amz-Date '%.20s' is not YYYYMMDDTHHMMSSZ",
			       h[H_AMZ_DATE]);
	if (strncmp(auth.date8, h[H_AMZ_DATE], 8) != 0)
		return vp_fail(
			err, VP_ERR_AUTH,
			"the proof's credential scope date is not the day of its X-Amz-Date");
	if (signed_at < now - r->max_age)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is stale: signed at %s, %lld s before this broker's "
			       "clock (at most %lld s)",
			       h[H_AMZ_DATE], (long long)(now - signed_at), (long long)r->max_age);
	/* Ahead of the clock only by a small skew: a proof is good for max_age + skew. */
	if (signed_at > now + (r->max_age < VP_PROOF_MAX_SKEW ? r->max_age : VP_PROOF_MAX_SKEW))
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is dated in the future: signed at %s, %lld s after this "
			       "broker's clock (at most %lld s)",
			       h[H_AMZ_DATE], (long long)(signed_at - now),
			       (long long)(r->max_age < VP_PROOF_MAX_SKEW ? r->max_age
									  : VP_PROOF_MAX_SKEW));
	memcpy(p->signature, auth.signature, sizeof(p->signature));
	p->signed_at = signed_at;
	p->request = h[H_REQUEST];
	OPENSSL_cleanse(&auth, sizeof(auth));
	return VP_OK;
}

/*
 * SHA-256 over method, URL, the signed headers and the SigV4 Authorization
 * header (in a fixed order) and body, NUL-separated: only what the signature
 * covers and the credential it names, so a proof whose unsigned headers
 * (User-Agent) change is the same cache key, not a new STS call.
 */
static void proof_digest(struct vp_proof *p)
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
		/* The SigV4 Authorization header too: its access key id is not in the signature. */
		if (k != H_AUTHORIZATION && !(p->signed_mask & (1u << k)))
			continue;
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

vp_code vp_proof_parse(const struct vp_proof_rules *r, const char *authorization,
		       struct vp_proof *out, struct vp_error *err)
{
	struct vp_proof p;
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
	rc = check_url(r, p.url, &host_port, err);
	if (rc != VP_OK)
		goto fail;
	if (strlen(p.body) != p.body_len ||
	    (strcmp(p.body, GCI_BODY) != 0 && strcmp(p.body, GCI_BODY_SWAPPED) != 0)) {
		rc = vp_fail(err, VP_ERR_AUTH, "the proof's body is not exactly " GCI_BODY);
		goto fail;
	}
	rc = check_headers(r, &p, host_port, r->clock(r->clock_ctx), err);
	if (rc != VP_OK)
		goto fail;
	free(host_port);
	proof_digest(&p);
	*out = p;
	return VP_OK;
fail:
	free(host_port);
	vp_proof_cleanup(&p);
	return rc;
}
