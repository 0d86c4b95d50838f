/* SPDX-License-Identifier: Apache-2.0 */
#include "cfn/response.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/url.h"
#include "core/version.h"

#define TRUNCATED_MARK " [...]"

/* "Content-Type;" sends the header empty, as AWS's cfn-response does; no 100-continue. */
static const char *const put_headers[] = {"Content-Type;", "Expect:", "Transfer-Encoding:"};

int64_t vp_cfn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The longest prefix of s of at most max bytes that does not split a UTF-8 character. */
static size_t utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static char *dump(const struct vp_cfn_response *r, const char *reason)
{
	json_t *doc = json_object();
	char *text = NULL;
	int bad = !doc;

	if (doc) {
		bad |= json_object_set_new(doc, "Status",
					   json_string(r->success ? "SUCCESS" : "FAILED"));
		bad |= json_object_set_new(doc, "Reason", json_string(reason));
		bad |= json_object_set_new(doc, "PhysicalResourceId", json_string(r->physical_id));
		bad |= json_object_set_new(doc, "StackId", json_string(r->stack_id));
		bad |= json_object_set_new(doc, "RequestId", json_string(r->request_id));
		bad |= json_object_set_new(doc, "LogicalResourceId", json_string(r->logical_id));
		bad |= json_object_set_new(doc, "NoEcho", json_false());
		bad |= json_object_set_new(doc, "Data",
					   r->data ? json_deep_copy(r->data) : json_object());
	}
	if (!bad)
		text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}

/* The document with the Reason cut to its first `keep` bytes (on a character boundary) and marked.
 */
static char *dump_cut(const struct vp_cfn_response *r, const char *reason, size_t keep)
{
	size_t k = utf8_prefix(reason, keep);
	char *cut = malloc(k + sizeof(TRUNCATED_MARK)), *text;

	if (!cut)
		return NULL;
	memcpy(cut, reason, k);
	memcpy(cut + k, TRUNCATED_MARK, sizeof(TRUNCATED_MARK));
	text = dump(r, cut);
	free(cut);
	return text;
}

vp_code vp_cfn_response_render(const struct vp_cfn_response *r, struct vp_buf *out,
			       struct vp_error *err)
{
	const char *reason = r->reason ? r->reason : "";
	size_t lo, hi;
	char *text;
	vp_code rc;

	vp_buf_reset(out);
	if (!r->physical_id || !r->physical_id[0])
		return vp_fail(err, VP_ERR_INTERNAL, "a response without a PhysicalResourceId");
	if (r->data && !json_is_object(r->data))
		return vp_fail(err, VP_ERR_INTERNAL, "the response Data is not an object");
	text = dump(r, reason);
	if (text && strlen(text) > VP_CFN_RESPONSE_MAX) {
		/* Escapes make bytes of Reason cost 1..6 bytes: search the longest prefix that
		 * fits. */
		free(text);
		text = dump_cut(r, reason, 0);
		if (text && strlen(text) > VP_CFN_RESPONSE_MAX) {
			size_t len = strlen(text);
			free(text);
			return vp_fail(
				err, VP_ERR_RANGE,
				"the response would be %zu bytes without a Reason, more than "
				"CloudFormation's %d",
				len, VP_CFN_RESPONSE_MAX);
		}
		lo = 0;
		hi = strlen(reason);
		while (text && lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;
			char *t = dump_cut(r, reason, mid);
			if (!t) {
				free(text);
				text = NULL;
			} else if (strlen(t) <= VP_CFN_RESPONSE_MAX) {
				free(text);
				text = t;
				lo = mid;
			} else {
				free(t);
				hi = mid - 1;
			}
		}
	}
	if (!text)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory rendering the response");
	rc = vp_buf_append(out, text, strlen(text));
	free(text);
	if (rc != VP_OK)
		return vp_fail(err, rc, "the response buffer is too small");
	return VP_OK;
}

struct upload {
	const char *data;
	size_t len, at;
};

static size_t on_read(char *dst, size_t size, size_t count, void *ctx)
{
	struct upload *u = ctx;
	size_t n = size * count;

	if (n > u->len - u->at)
		n = u->len - u->at;
	memcpy(dst, u->data + u->at, n);
	u->at += n;
	return n;
}

static size_t on_discard(char *data, size_t size, size_t count, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * count;
}

/*
 * Where a pre-signed URL points, for messages: only its host (the rest is a
 * signature). Whether it may be used: https, or plain http to loopback.
 */
static bool check_url(const char *url, char *where, size_t size)
{
	struct vp_url u;
	bool ok;

	snprintf(where, size, "the ResponseURL");
	if (vp_url_parse(url, &u, NULL) != VP_OK)
		return false;
	snprintf(where, size, "the ResponseURL at %s", u.host);
	ok = strcmp(u.scheme, "https") == 0 ||
	     (strcmp(u.scheme, "http") == 0 && vp_url_host_is_loopback(u.host));
	vp_url_cleanup(&u);
	return ok;
}

vp_code vp_cfn_response_put(const char *url, const char *body, size_t len,
			    const struct vp_cfn_put_options *opt, struct vp_error *err)
{
	int64_t (*now)(void) = opt->now_ms ? opt->now_ms : vp_cfn_now_ms;
	int attempts = opt->attempts > 0 ? opt->attempts : 4;
	long delay = opt->retry_delay_ms > 0 ? opt->retry_delay_ms : 250;
	long timeout = opt->attempt_timeout_ms > 0 ? opt->attempt_timeout_ms : 10000;
	char where[300], last[CURL_ERROR_SIZE + 64] = "no attempt was made";
	struct curl_slist *headers = NULL, *h;
	bool refused = false;
	CURL *curl;
	int made = 0;

	if (!check_url(url, where, sizeof(where)))
		return vp_fail(err, VP_ERR_INVALID,
			       "%s is not https:// (plain http only to a loopback address)", where);
	curl = curl_easy_init();
	if (!curl)
		return vp_fail(err, VP_ERR_NOMEM, "libcurl cannot make a handle");
	for (size_t i = 0; i < sizeof(put_headers) / sizeof(put_headers[0]); i++) {
		h = curl_slist_append(headers, put_headers[i]);
		if (!h) {
			curl_slist_free_all(headers);
			curl_easy_cleanup(curl);
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
		}
		headers = h;
	}
	for (int attempt = 1; attempt <= attempts; attempt++) {
		char errbuf[CURL_ERROR_SIZE] = "";
		struct upload up = {body, len, 0};
		long status = 0, this_timeout = timeout;
		CURLcode cc;

		if (opt->deadline_ms > 0) {
			int64_t left = opt->deadline_ms - now();
			if (left <= 0)
				break;
			if (left < this_timeout)
				this_timeout = left < 200 ? 200 : (long)left;
		}
		made++;
		curl_easy_reset(curl);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(curl, CURLOPT_READDATA, &up);
		curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "vpcpeer/" VP_VERSION);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_discard);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, this_timeout);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, this_timeout);
		if (opt->ca_file)
			curl_easy_setopt(curl, CURLOPT_CAINFO, opt->ca_file);
		cc = curl_easy_perform(curl);
		if (cc == CURLE_OK) {
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
			if (status >= 200 && status <= 299) {
				curl_slist_free_all(headers);
				curl_easy_cleanup(curl);
				return VP_OK;
			}
			snprintf(last, sizeof(last), "HTTP %ld", status);
			if (status < 500) {
				/* S3 refused the pre-signed URL (expired, or signed for something
				 * else): final, neither this loop nor Lambda's retry can deliver.
				 */
				refused = true;
				break;
			}
		} else {
			snprintf(last, sizeof(last), "%s",
				 errbuf[0] ? errbuf : curl_easy_strerror(cc));
		}
		if (attempt < attempts) {
			if (opt->deadline_ms > 0 && now() + delay >= opt->deadline_ms)
				break;
			vp_clock_sleep_ms(delay);
			delay *= 2;
		}
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (refused)
		return vp_fail(err, VP_ERR_FORBIDDEN,
			       "%s refused the response (%s): the URL expired or was not signed "
			       "for this request; CloudFormation will not hear this answer",
			       where, last);
	return vp_fail(err, VP_ERR_IO, "cannot deliver the response to %s after %d attempt%s: %s",
		       where, made, made == 1 ? "" : "s", last);
}
