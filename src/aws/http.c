/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/xml.h"
#include "core/version.h"

#define POOL_MAX 16

/*
 * The share object holds the DNS and TLS session caches only, never the
 * connection cache (CURL_LOCK_DATA_CONNECT): libcurl does not support a
 * shared connection cache used by concurrent threads (CURLSHOPT_SHARE(3);
 * known bug "A shared connection cache is not thread-safe", curl issues
 * #4915 and #9404; e.g. #8111: a segfault when one thread reads a connection
 * it has just returned to the cache while another closes it), whatever the
 * lock callbacks do. Each pooled easy handle keeps its own connections alive
 * instead (curl_easy_reset keeps them), so a borrowed handle usually reuses one.
 */
struct vp_aws_http {
	CURLSH *share;
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL *pool[POOL_MAX];
	size_t pooled;
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx)
{
	struct vp_aws_http *http = ctx;
	(void)h;
	(void)access;
	pthread_mutex_lock(&http->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ctx)
{
	struct vp_aws_http *http = ctx;
	(void)h;
	pthread_mutex_unlock(&http->locks[data]);
}

vp_code vp_aws_http_new(struct vp_aws_http **out, struct vp_error *err)
{
	struct vp_aws_http *http = calloc(1, sizeof(*http));

	if (!http)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&http->locks[i], NULL);
	pthread_mutex_init(&http->pool_lock, NULL);
	http->share = curl_share_init();
	if (!http->share ||
	    curl_share_setopt(http->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(http->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(http->share, CURLSHOPT_USERDATA, http) != CURLSHE_OK ||
	    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
		    CURLSHE_OK) {
		vp_aws_http_free(http);
		return vp_fail(err, VP_ERR_INTERNAL, "libcurl cannot share its caches");
	}
	*out = http;
	return VP_OK;
}

void vp_aws_http_free(struct vp_aws_http *http)
{
	if (!http)
		return;
	for (size_t i = 0; i < http->pooled; i++)
		curl_easy_cleanup(http->pool[i]);
	if (http->share)
		curl_share_cleanup(http->share);
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&http->locks[i]);
	pthread_mutex_destroy(&http->pool_lock);
	free(http);
}

static CURL *borrow(struct vp_aws_http *http)
{
	CURL *h = NULL;

	pthread_mutex_lock(&http->pool_lock);
	if (http->pooled)
		h = http->pool[--http->pooled];
	pthread_mutex_unlock(&http->pool_lock);
	if (h)
		curl_easy_reset(h);
	else
		h = curl_easy_init();
	return h;
}

static void give_back(struct vp_aws_http *http, CURL *h)
{
	pthread_mutex_lock(&http->pool_lock);
	if (http->pooled < POOL_MAX) {
		http->pool[http->pooled++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&http->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

void vp_aws_http_response_init(struct vp_aws_http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	vp_buf_init(&resp->body, VP_AWS_XML_MAX);
}

void vp_aws_http_response_cleanup(struct vp_aws_http_response *resp)
{
	vp_buf_cleanup(&resp->body);
}

void vp_aws_http_response_wipe(struct vp_aws_http_response *resp)
{
	if (resp->body.data)
		OPENSSL_cleanse(resp->body.data, resp->body.len);
	vp_aws_http_response_cleanup(resp);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct vp_aws_http_response *resp = ctx;
	size_t n = size * nmemb;

	if (vp_buf_append(&resp->body, data, n) != VP_OK) {
		resp->failure = VP_AWS_HTTP_TOO_LARGE;
		return 0; /* aborts the transfer */
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct vp_aws_http_response *resp = ctx;
	size_t n = size * nmemb;
	static const char *const names[] = {"x-amzn-requestid:", "x-amz-request-id:",
					    "x-amzn-errortype:", "x-amz-function-error:"};

	for (size_t i = 0; i < 4; i++) {
		size_t k = strlen(names[i]);
		char *dst = i < 2    ? resp->request_id
			    : i == 2 ? resp->error_type
				     : resp->function_error;
		size_t cap = i < 2    ? sizeof(resp->request_id)
			     : i == 2 ? sizeof(resp->error_type)
				      : sizeof(resp->function_error);
		if (n > k && strncasecmp(data, names[i], k) == 0) {
			const char *v = data + k;
			size_t vn = n - k;
			while (vn && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
				vn--;
			if (vn >= cap)
				vn = cap - 1;
			memcpy(dst, v, vn);
			dst[vn] = '\0';
		}
	}
	return n;
}

vp_code vp_aws_http_send(struct vp_aws_http *http, const struct vp_aws_http_request *req,
			 struct vp_aws_http_response *resp, struct vp_error *err)
{
	struct curl_slist *list = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode cc;
	vp_code rc = VP_OK;
	long connects = 0;

	vp_buf_cleanup(&resp->body);
	vp_buf_init(&resp->body, req->max_response ? req->max_response : VP_AWS_XML_MAX);
	resp->status = 0;
	resp->request_id[0] = '\0';
	resp->error_type[0] = '\0';
	resp->function_error[0] = '\0';
	resp->failure = VP_AWS_HTTP_OK;
	resp->new_connections = 0;

	h = borrow(http);
	if (!h)
		return vp_fail(err, VP_ERR_NOMEM, "libcurl cannot make a handle");
	for (size_t i = 0; i < req->header_count; i++) {
		char line[16384];
		struct curl_slist *next;
		const char *v = req->headers[i].value ? req->headers[i].value : "";
		int n = v[0] ? snprintf(line, sizeof(line), "%s: %s", req->headers[i].name, v)
			     : snprintf(line, sizeof(line), "%s;", req->headers[i].name);
		if (n < 0 || (size_t)n >= sizeof(line) || strpbrk(line, "\r\n")) {
			rc = vp_fail(err, VP_ERR_INVALID,
				     "header %s is too long or has a line break",
				     req->headers[i].name);
			goto cleanup;
		}
		next = curl_slist_append(list, line);
		OPENSSL_cleanse(line, sizeof(line));
		if (!next) {
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
			goto cleanup;
		}
		list = next;
	}
	/* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
	{
		struct curl_slist *next = curl_slist_append(list, "Expect:");
		if (!next) {
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
			goto cleanup;
		}
		list = next;
	}

	curl_easy_setopt(h, CURLOPT_SHARE, http->share);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vpcpeer/" VP_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 60000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}

	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	resp->new_connections = connects;
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	} else {
		if (resp->failure != VP_AWS_HTTP_TOO_LARGE) {
			switch (cc) {
			case CURLE_COULDNT_CONNECT:
			case CURLE_COULDNT_RESOLVE_HOST:
			case CURLE_COULDNT_RESOLVE_PROXY:
				resp->failure = VP_AWS_HTTP_CONNECT;
				break;
			case CURLE_OPERATION_TIMEDOUT:
				resp->failure = VP_AWS_HTTP_TIMEOUT;
				break;
			default:
				resp->failure = VP_AWS_HTTP_TRANSPORT;
				break;
			}
		}
		if (resp->failure == VP_AWS_HTTP_TOO_LARGE)
			rc = vp_fail(err, VP_ERR_IO, "%s %s: response larger than %zu bytes",
				     req->method, req->url, resp->body.max);
		else
			rc = vp_fail(err, VP_ERR_IO, "%s %s: %s", req->method, req->url,
				     errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
cleanup:
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	give_back(http, h);
	for (struct curl_slist *l = list; l; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data)); /* signatures, session tokens */
	curl_slist_free_all(list);
	return rc;
}
