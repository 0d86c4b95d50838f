/* SPDX-License-Identifier: Apache-2.0 */
#include "cfn/runtime.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/num.h"
#include "core/version.h"

#define API_HOST_MAX 255

struct vp_lambda_runtime {
	char base[API_HOST_MAX + 32]; /* http://host:port/2018-06-01 */
	CURL *curl;
	volatile sig_atomic_t *stop; /* vp_lambda_runtime_set_stop; NULL: none */
};

void vp_lambda_invocation_init(struct vp_lambda_invocation *inv)
{
	memset(inv, 0, sizeof(*inv));
	vp_buf_init(&inv->event, VP_LAMBDA_MAX_EVENT);
}

void vp_lambda_invocation_cleanup(struct vp_lambda_invocation *inv)
{
	vp_buf_cleanup(&inv->event);
}

vp_code vp_lambda_runtime_new(const char *api, struct vp_lambda_runtime **out, struct vp_error *err)
{
	struct vp_lambda_runtime *rt;
	size_t n = api ? strlen(api) : 0;
	const char *colon = api ? strrchr(api, ':') : NULL;

	if (n == 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "AWS_LAMBDA_RUNTIME_API is not set (run under Lambda, or give "
			       "--runtime-api HOST:PORT)");
	if (n > API_HOST_MAX || !colon || colon == api || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strspn(api, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != n)
		return vp_fail(err, VP_ERR_INVALID,
			       "the Runtime API address '%.80s' is not HOST:PORT", api);
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	snprintf(rt->base, sizeof(rt->base), "http://%s/" VP_LAMBDA_API_VERSION, api);
	rt->curl = curl_easy_init();
	if (!rt->curl) {
		free(rt);
		return vp_fail(err, VP_ERR_NOMEM, "libcurl cannot make a handle");
	}
	*out = rt;
	return VP_OK;
}

void vp_lambda_runtime_free(struct vp_lambda_runtime *rt)
{
	if (!rt)
		return;
	curl_easy_cleanup(rt->curl);
	free(rt);
}

void vp_lambda_runtime_set_stop(struct vp_lambda_runtime *rt, volatile sig_atomic_t *stop)
{
	rt->stop = stop;
}

/* libcurl calls it about once a second while the long poll waits: non-zero aborts it. */
static int stop_raised(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	const struct vp_lambda_runtime *rt = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return *rt->stop ? 1 : 0;
}

static size_t on_body(char *data, size_t size, size_t count, void *ctx)
{
	struct vp_buf *b = ctx;

	if (vp_buf_append(b, data, size * count) != VP_OK)
		return 0;
	return size * count;
}

/* Copy a header's value (trimmed) when the line names it. */
static bool header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t n = strlen(name), v;

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return false;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	v = len < size - 1 ? len : size - 1;
	memcpy(out, line, v);
	out[v] = '\0';
	return true;
}

static size_t on_header(char *data, size_t size, size_t count, void *ctx)
{
	struct vp_lambda_invocation *inv = ctx;
	size_t len = size * count;
	char deadline[32];
	int64_t ms;

	if (header_value(data, len, "Lambda-Runtime-Deadline-Ms", deadline, sizeof(deadline))) {
		if (vp_parse_int64(deadline, 1, INT64_MAX, "deadline", &ms, NULL) == VP_OK)
			inv->deadline_ms = ms;
		return len;
	}
	if (!header_value(data, len, "Lambda-Runtime-Aws-Request-Id", inv->request_id,
			  sizeof(inv->request_id)) &&
	    !header_value(data, len, "Lambda-Runtime-Invoked-Function-Arn", inv->function_arn,
			  sizeof(inv->function_arn)))
		header_value(data, len, "Lambda-Runtime-Trace-Id", inv->trace_id,
			     sizeof(inv->trace_id));
	return len;
}

vp_code vp_lambda_next(struct vp_lambda_runtime *rt, struct vp_lambda_invocation *inv,
		       struct vp_error *err)
{
	char url[sizeof(rt->base) + 32], errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode cc;

	inv->request_id[0] = inv->function_arn[0] = inv->trace_id[0] = '\0';
	inv->deadline_ms = 0;
	vp_buf_reset(&inv->event);
	snprintf(url, sizeof(url), "%s/runtime/invocation/next", rt->base);
	curl_easy_reset(rt->curl);
	curl_easy_setopt(rt->curl, CURLOPT_URL, url);
	curl_easy_setopt(rt->curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(rt->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rt->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS, 0L); /* the long poll */
	curl_easy_setopt(rt->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(rt->curl, CURLOPT_USERAGENT, "vpcpeer/" VP_VERSION);
	curl_easy_setopt(rt->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(rt->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(rt->curl, CURLOPT_HEADERDATA, inv);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, &inv->event);
	if (rt->stop) {
		curl_easy_setopt(rt->curl, CURLOPT_XFERINFOFUNCTION, stop_raised);
		curl_easy_setopt(rt->curl, CURLOPT_XFERINFODATA, rt);
		curl_easy_setopt(rt->curl, CURLOPT_NOPROGRESS, 0L);
	}
	cc = curl_easy_perform(rt->curl);
	curl_easy_setopt(rt->curl, CURLOPT_ERRORBUFFER, NULL);
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return vp_fail(err, VP_ERR_UNAVAILABLE, "stopped while waiting for the next event");
	if (cc == CURLE_WRITE_ERROR && inv->request_id[0])
		return vp_fail(err, VP_ERR_RANGE, "the event is larger than %zu bytes",
			       VP_LAMBDA_MAX_EVENT);
	if (cc != CURLE_OK)
		return vp_fail(err, VP_ERR_IO, "cannot get the next invocation from %s: %s",
			       rt->base, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return vp_fail(err, VP_ERR_IO, "the Runtime API answered HTTP %ld to next", status);
	if (!inv->request_id[0])
		return vp_fail(err, VP_ERR_INVALID,
			       "the next invocation has no Lambda-Runtime-Aws-Request-Id");
	return VP_OK;
}

/* POST a JSON body to base + path; VP_OK on 202 (or any 2xx). */
static vp_code post(struct vp_lambda_runtime *rt, const char *path, const char *body,
		    const char *error_type, struct vp_error *err)
{
	char url[sizeof(rt->base) + VP_LAMBDA_REQUEST_ID_MAX * 3 + 64];
	char errbuf[CURL_ERROR_SIZE] = "", type_line[128];
	struct curl_slist *headers = NULL, *h;
	struct vp_buf discard;
	long status = 0;
	CURLcode cc;

	snprintf(url, sizeof(url), "%s%s", rt->base, path);
	h = curl_slist_append(NULL, "Content-Type: application/json");
	headers = h;
	if (h)
		headers = h = curl_slist_append(h, "Expect:");
	if (h && error_type) {
		snprintf(type_line, sizeof(type_line), "Lambda-Runtime-Function-Error-Type: %s",
			 error_type);
		h = curl_slist_append(headers, type_line);
		headers = h ? h : headers;
	}
	if (!h) {
		curl_slist_free_all(headers);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	vp_buf_init(&discard, 64 * 1024);
	curl_easy_reset(rt->curl);
	curl_easy_setopt(rt->curl, CURLOPT_URL, url);
	curl_easy_setopt(rt->curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(rt->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rt->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(rt->curl, CURLOPT_USERAGENT, "vpcpeer/" VP_VERSION);
	curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(rt->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, &discard);
	cc = curl_easy_perform(rt->curl);
	curl_easy_setopt(rt->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (cc == CURLE_OK)
		curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, &status);
	vp_buf_cleanup(&discard);
	if (cc != CURLE_OK)
		return vp_fail(err, VP_ERR_IO, "cannot post to the Runtime API %s: %s", path,
			       errbuf[0] ? errbuf : curl_easy_strerror(cc));
	if (status < 200 || status > 299)
		return vp_fail(err, VP_ERR_IO, "the Runtime API answered HTTP %ld to %s", status,
			       path);
	return VP_OK;
}

/* The request id in a path: Lambda's are UUIDs, but escape whatever came. */
static vp_code id_path(struct vp_lambda_runtime *rt, const char *request_id, const char *what,
		       char *out, size_t size, struct vp_error *err)
{
	char *escaped = curl_easy_escape(rt->curl, request_id, 0);
	int n;

	if (!escaped)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	n = snprintf(out, size, "/runtime/invocation/%s/%s", escaped, what);
	curl_free(escaped);
	if (n < 0 || (size_t)n >= size)
		return vp_fail(err, VP_ERR_INVALID, "the request id is too long");
	return VP_OK;
}

vp_code vp_lambda_respond(struct vp_lambda_runtime *rt, const char *request_id,
			  const char *json_body, struct vp_error *err)
{
	char path[VP_LAMBDA_REQUEST_ID_MAX * 3 + 64];
	vp_code rc = id_path(rt, request_id, "response", path, sizeof(path), err);

	return rc != VP_OK ? rc : post(rt, path, json_body, NULL, err);
}

vp_code vp_lambda_report_error(struct vp_lambda_runtime *rt, const char *request_id,
			       const char *type, const char *message, struct vp_error *err)
{
	char path[VP_LAMBDA_REQUEST_ID_MAX * 3 + 64];
	json_t *doc;
	char *body;
	vp_code rc;

	if (request_id) {
		if ((rc = id_path(rt, request_id, "error", path, sizeof(path), err)) != VP_OK)
			return rc;
	} else {
		snprintf(path, sizeof(path), "/runtime/init/error");
	}
	doc = json_pack("{ss ss s[]}", "errorMessage", message, "errorType", type, "stackTrace");
	body = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!body)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	rc = post(rt, path, body, type, err);
	free(body);
	return rc;
}

vp_code vp_lambda_run(struct vp_lambda_runtime *rt, vp_lambda_handler_fn handler, void *ctx,
		      unsigned long max_events, struct vp_error *err)
{
	struct vp_lambda_invocation inv;
	struct vp_buf response;
	vp_code rc = VP_OK;

	vp_lambda_invocation_init(&inv);
	vp_buf_init(&response, VP_LAMBDA_MAX_EVENT);
	for (unsigned long done = 0; max_events == 0 || done < max_events; done++) {
		struct vp_error herr, perr;
		char type[64] = "";

		vp_error_clear(&herr);
		vp_buf_reset(&response);
		rc = vp_lambda_next(rt, &inv, err);
		if (rc == VP_ERR_RANGE) {
			if (vp_lambda_report_error(rt, inv.request_id, "InvalidEvent", err->message,
						   &perr) != VP_OK)
				vp_log(VP_LOG_ERROR, "%s", perr.message);
			rc = VP_OK;
			continue;
		}
		if (rc == VP_ERR_UNAVAILABLE && rt->stop && *rt->stop) {
			rc = VP_OK; /* asked to stop (vp_lambda_runtime_set_stop) */
			break;
		}
		if (rc != VP_OK)
			break;
		if (handler(ctx, &inv, &response, type, sizeof(type), &herr) == VP_OK) {
			if (vp_lambda_respond(rt, inv.request_id, vp_buf_str(&response), &perr) !=
			    VP_OK)
				vp_log(VP_LOG_ERROR, "%s", perr.message);
		} else if (vp_lambda_report_error(rt, inv.request_id,
						  type[0] ? type : "HandlerError", herr.message,
						  &perr) != VP_OK) {
			vp_log(VP_LOG_ERROR, "%s", perr.message);
		}
	}
	vp_buf_cleanup(&response);
	vp_lambda_invocation_cleanup(&inv);
	return rc;
}
