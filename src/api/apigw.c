/* SPDX-License-Identifier: Apache-2.0 */
#include "api/apigw.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "core/buf.h"

void vp_apigw_request_init(struct vp_apigw_request *req)
{
	memset(req, 0, sizeof(*req));
}

void vp_apigw_request_cleanup(struct vp_apigw_request *req)
{
	if (req->authorization) {
		OPENSSL_cleanse(req->authorization, strlen(req->authorization));
		free(req->authorization);
	}
	free(req->uri);
	free(req->body);
	memset(req, 0, sizeof(*req));
}

static void reject(struct vp_apigw_request *req, unsigned status, const char *code,
		   const char *message)
{
	if (req->reject_status)
		return; /* the first reason stands */
	req->reject_status = status;
	req->reject_code = code;
	snprintf(req->reject_message, sizeof(req->reject_message), "%s", message);
}

/*
 * An optional string member: NULL when absent; false (the event is bad) when
 * not a string, or when it holds a NUL and is not the body (`nul_ok`).
 */
static bool string_member(json_t *obj, const char *key, bool nul_ok, const char **out, size_t *len)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	*len = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return false;
	*out = json_string_value(v);
	*len = json_string_length(v);
	return nul_ok || strlen(*out) == *len;
}

static bool optional_string(json_t *obj, const char *key, const char **out, size_t *len)
{
	return string_member(obj, key, false, out, len);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Standard base64 with padding into out (at least len / 4 * 3 + 1 bytes):
 * the decoded length, or -1 for anything else (a stray character, bad padding).
 */
static long decode_base64(const char *in, size_t len, char *out)
{
	size_t o = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;
		for (size_t k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64_value((unsigned char)in[i + k])) < 0) {
				return -1; /* a character after '=', or not base64 */
			}
		}
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	out[o] = '\0';
	return (long)o;
}

static vp_code take_body(json_t *ev, size_t max_body, struct vp_apigw_request *req,
			 struct vp_error *err)
{
	json_t *b64 = json_object_get(ev, "isBase64Encoded");
	const char *body;
	size_t len, cap;
	long n;
	bool too_large;
	char message[96];

	if (!string_member(ev, "body", true, &body, &len))
		return vp_fail(err, VP_ERR_INVALID, "the event's body is not a string");
	if (b64 && !json_is_boolean(b64) && !json_is_null(b64))
		return vp_fail(err, VP_ERR_INVALID, "the event's isBase64Encoded is not a boolean");
	if (!body)
		body = "";
	cap = len + 1;
	if (json_is_true(b64))
		cap = len / 4 * 3 + 1;
	/* Decoded, the body is at most 3/4 of its base64: a longer one is refused unread
	 * (an empty body then, so that an accepted event always has one). */
	too_large = cap - 1 > max_body + (json_is_true(b64) ? 2 : 0);
	req->body = malloc(too_large ? 1 : cap);
	if (!req->body)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for the body");
	if (too_large) {
		req->body[0] = '\0';
		snprintf(message, sizeof(message), "the body is larger than %zu bytes", max_body);
		reject(req, 413, "too_large", message);
		return VP_OK;
	}
	if (!json_is_true(b64)) {
		memcpy(req->body, body, len);
		req->body[len] = '\0';
		req->body_len = len;
		return VP_OK;
	}
	n = decode_base64(body, len, req->body);
	if (n < 0) {
		req->body[0] = '\0';
		reject(req, 400, "invalid",
		       "the body is not base64 though isBase64Encoded is true");
		return VP_OK;
	}
	req->body_len = (size_t)n;
	if (req->body_len > max_body) {
		snprintf(message, sizeof(message), "the body is larger than %zu bytes", max_body);
		reject(req, 413, "too_large", message);
	}
	return VP_OK;
}

/* The headers: the proof, and their size against API Gateway's limit on the head. */
static vp_code take_headers(json_t *ev, size_t *head, struct vp_apigw_request *req,
			    struct vp_error *err)
{
	json_t *headers = json_object_get(ev, "headers"), *cookies = json_object_get(ev, "cookies");
	const char *name;
	json_t *value;
	size_t i;

	if (headers && !json_is_null(headers) && !json_is_object(headers))
		return vp_fail(err, VP_ERR_INVALID, "the event's headers are not an object");
	json_object_foreach(headers, name, value)
	{
		if (!json_is_string(value))
			return vp_fail(err, VP_ERR_INVALID,
				       "the event's header '%.64s' is not a string", name);
		*head += strlen(name) + 4 + json_string_length(value); /* "name: value\r\n" */
		if (strcasecmp(name, "authorization") != 0 || req->authorization)
			continue;
		if (strlen(json_string_value(value)) != json_string_length(value))
			continue; /* a NUL inside: as good as none, the 401 says so */
		req->authorization = strdup(json_string_value(value));
		if (!req->authorization)
			return vp_fail(err, VP_ERR_NOMEM, "out of memory for the proof");
	}
	if (cookies && !json_is_null(cookies) && !json_is_array(cookies))
		return vp_fail(err, VP_ERR_INVALID, "the event's cookies are not an array");
	json_array_foreach(cookies, i, value)
	{
		if (!json_is_string(value))
			return vp_fail(err, VP_ERR_INVALID,
				       "the event's cookie %zu is not a string", i);
		*head += json_string_length(value) + 2;
	}
	return VP_OK;
}

static bool is_token(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= VP_APIGW_METHOD_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^"
			 "_`|~") == n;
}

static vp_code parse_event(json_t *ev, size_t max_body, struct vp_apigw_request *req,
			   struct vp_error *err)
{
	json_t *ctx, *http;
	const char *version, *method, *path, *query, *source, *domain;
	size_t version_len, path_len, query_len, len, head;
	char message[96];
	vp_code rc;

	if (!json_is_object(ev))
		return vp_fail(err, VP_ERR_INVALID, "the event is not a JSON object");
	if (!optional_string(ev, "version", &version, &version_len) || !version ||
	    strcmp(version, "2.0") != 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "not an API Gateway HTTP API event of payload format 2.0 "
			       "(version is not \"2.0\")");
	ctx = json_object_get(ev, "requestContext");
	http = json_object_get(ctx, "http");
	if (!json_is_object(ctx) || !json_is_object(http))
		return vp_fail(err, VP_ERR_INVALID, "the event has no requestContext.http object");
	if (!optional_string(http, "method", &method, &len) || !method || !is_token(method))
		return vp_fail(err, VP_ERR_INVALID,
			       "the event's requestContext.http.method is not an HTTP method");
	snprintf(req->method, sizeof(req->method), "%s", method);
	if (!optional_string(ev, "rawPath", &path, &path_len) || !path || path[0] != '/' ||
	    strlen(path) != path_len)
		return vp_fail(err, VP_ERR_INVALID, "the event's rawPath is not a path");
	if (!optional_string(ev, "rawQueryString", &query, &query_len) ||
	    (query && strlen(query) != query_len))
		return vp_fail(err, VP_ERR_INVALID, "the event's rawQueryString is not a string");
	if (!optional_string(http, "sourceIp", &source, &len) ||
	    !optional_string(ctx, "domainName", &domain, &len))
		return vp_fail(err, VP_ERR_INVALID,
			       "the event's sourceIp or domainName is not a string");
	if (source && strlen(source) < sizeof(req->source))
		snprintf(req->source, sizeof(req->source), "%s", source);
	if (domain && strlen(domain) < sizeof(req->domain))
		snprintf(req->domain, sizeof(req->domain), "%s", domain);
	req->uri = malloc(path_len + query_len + 2);
	if (!req->uri)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for the path");
	snprintf(req->uri, path_len + query_len + 2, "%s%s%s", path, query_len ? "?" : "",
		 query_len ? query : "");
	/* The request line "METHOD PATH?QUERY HTTP/1.1\r\n", then the headers. */
	head = strlen(req->method) + 1 + path_len + 1 + query_len + 11;
	rc = take_headers(ev, &head, req, err);
	if (rc != VP_OK)
		return rc;
	if (head > VP_APIGW_MAX_HEAD) {
		snprintf(message, sizeof(message),
			 "the request line and headers are larger than %d bytes",
			 VP_APIGW_MAX_HEAD);
		reject(req, 413, "too_large", message);
	}
	return take_body(ev, max_body, req, err);
}

vp_code vp_apigw_event_parse(const char *event, size_t len, size_t max_body,
			     struct vp_apigw_request *req, struct vp_error *err)
{
	json_error_t jerr;
	json_t *ev;
	vp_code rc;

	/* A body may hold NUL (the API refuses it with 400, as serve does); other fields may not.
	 */
	ev = json_loadb(event, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!ev)
		return vp_fail(err, VP_ERR_INVALID, "the event is not JSON: %s (at byte %d)",
			       jerr.text, jerr.position);
	rc = parse_event(ev, max_body, req, err);
	json_decref(ev);
	return rc;
}

bool vp_apigw_scheduled_event(const char *event, size_t len)
{
	json_t *ev = json_loadb(event, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *type = json_object_get(ev, "detail-type"), *source = json_object_get(ev, "source");
	bool yes = json_is_object(ev) && json_is_string(type) && json_is_string(source) &&
		   strcmp(json_string_value(type), "Scheduled Event") == 0 &&
		   strcmp(json_string_value(source), "aws.events") == 0 &&
		   !json_object_get(ev, "requestContext");

	json_decref(ev);
	return yes;
}

/* ---- the response object ------------------------------------------------------------------ */

static bool add_header(void *ctx, const char *name, const char *value)
{
	return json_object_set_new(ctx, name, json_string(value)) == 0;
}

static json_t *base64_string(const char *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct vp_buf b;
	json_t *s = NULL;
	bool ok = true;

	vp_buf_init(&b, len / 3 * 4 + 8);
	for (size_t i = 0; ok && i < len; i += 3) {
		unsigned v = (unsigned char)data[i] << 16;
		char quad[4];
		if (i + 1 < len)
			v |= (unsigned char)data[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)data[i + 2];
		quad[0] = alphabet[v >> 18 & 63];
		quad[1] = alphabet[v >> 12 & 63];
		quad[2] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		quad[3] = i + 2 < len ? alphabet[v & 63] : '=';
		ok = vp_buf_append(&b, quad, 4) == VP_OK;
	}
	if (ok)
		s = json_stringn(vp_buf_str(&b), b.len);
	vp_buf_cleanup(&b);
	return s;
}

char *vp_apigw_response(const struct vp_dispatch_request *r)
{
	const struct vp_api_call *call = &r->call;
	json_t *doc = json_object(), *headers = json_object(), *body;
	bool b64 = false;
	char *out = NULL;

	body = json_stringn(call->payload ? call->payload : "", call->payload_len);
	if (!body && call->payload_len) {
		body = base64_string(call->payload, call->payload_len); /* not UTF-8 */
		b64 = true;
	}
	if (doc && headers && body && vp_dispatch_headers(r, add_header, headers) &&
	    json_object_set_new(doc, "statusCode", json_integer(call->status)) == 0 &&
	    json_object_set(doc, "headers", headers) == 0 &&
	    json_object_set(doc, "body", body) == 0 &&
	    json_object_set_new(doc, "isBase64Encoded", json_boolean(b64)) == 0)
		out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	json_decref(headers);
	json_decref(doc);
	return out;
}
