/* SPDX-License-Identifier: Apache-2.0 */
#include "client/broker_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/endpoint.h"
#include "core/url.h"
#include "core/version.h"
#include "proof/proof.h"

struct vp_broker_client {
	char base_url[VP_AWS_URL_MAX]; /* without a trailing '/' */
	char server_id[VP_PROOF_SERVER_ID_MAX + 1];
	char *ca_file;
	struct vp_aws_client *aws;
	long connect_timeout_ms, timeout_ms;
	void (*on_wait)(void *ctx, long waited_ms);
	void *on_wait_ctx;
	CURL *curl;
};

/* The progress of one call, for on_wait. */
struct wait_state {
	const struct vp_broker_client *c;
	struct timespec start;
	long reported_s; /* the last whole second on_wait was called for */
};

static vp_code check_url(const char *url, struct vp_error *err)
{
	struct vp_url u;
	vp_code rc;

	rc = vp_url_parse(url, &u, NULL);
	if (rc == VP_ERR_NOMEM)
		return vp_fail(err, rc, "out of memory");
	if (rc != VP_OK || (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0)) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the broker URL '%.200s' is not an https:// URL with a host", url);
	} else if (u.user || u.query || u.fragment) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the broker URL '%.200s' must not have a user name, query or fragment",
			     url);
	} else if (strcmp(u.scheme, "http") == 0 && !vp_url_host_is_loopback(u.host)) {
		/* A proof sent in clear could be replayed to this broker until it expires. */
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the broker URL '%.200s' must use https:// (plain http only to a "
			     "loopback address)",
			     url);
	}
	vp_url_cleanup(&u);
	return rc;
}

/* The URL's length without its trailing '/'s. */
static size_t base_url_len(const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return n;
}

vp_code vp_broker_client_config_check(const struct vp_broker_client_config *cfg,
				      struct vp_error *err)
{
	char server_id[VP_PROOF_SERVER_ID_MAX + 1], base[VP_AWS_URL_MAX];
	size_t n;
	vp_code rc;

	if (!cfg->base_url || !cfg->base_url[0])
		return vp_fail(err, VP_ERR_INVALID, "no broker URL");
	n = base_url_len(cfg->base_url);
	if (n >= VP_AWS_URL_MAX)
		return vp_fail(err, VP_ERR_INVALID, "the broker URL is longer than %d bytes",
			       VP_AWS_URL_MAX - 1);
	rc = check_url(cfg->base_url, err);
	if (rc != VP_OK)
		return rc;
	if (cfg->server_id) {
		if (strlen(cfg->server_id) > VP_PROOF_SERVER_ID_MAX || !cfg->server_id[0])
			return vp_fail(err, VP_ERR_INVALID,
				       "the server id must be 1..%d characters",
				       VP_PROOF_SERVER_ID_MAX);
	} else {
		memcpy(base, cfg->base_url, n);
		base[n] = '\0';
		rc = vp_proof_default_server_id(base, server_id, sizeof(server_id), err);
		if (rc != VP_OK)
			return rc;
	}
	if (cfg->ca_file) {
		FILE *f = fopen(cfg->ca_file, "r");
		if (!f)
			return vp_fail(err, VP_ERR_INVALID, "cannot read the CA file %.200s",
				       cfg->ca_file);
		fclose(f);
	}
	return VP_OK;
}

vp_code vp_broker_client_new(const struct vp_broker_client_config *cfg,
			     struct vp_broker_client **out, struct vp_error *err)
{
	struct vp_broker_client *c;
	size_t n;
	vp_code rc;

	rc = vp_broker_client_config_check(cfg, err);
	if (rc != VP_OK)
		return rc;
	if (!cfg->aws)
		return vp_fail(err, VP_ERR_INVALID, "no AWS client to sign the identity proofs");
	n = base_url_len(cfg->base_url);
	c = calloc(1, sizeof(*c));
	if (!c)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	memcpy(c->base_url, cfg->base_url, n);
	if (cfg->server_id) {
		memcpy(c->server_id, cfg->server_id, strlen(cfg->server_id) + 1);
	} else {
		rc = vp_proof_default_server_id(c->base_url, c->server_id, sizeof(c->server_id),
						err);
		if (rc != VP_OK)
			goto fail;
	}
	if (cfg->ca_file) {
		c->ca_file = strdup(cfg->ca_file);
		if (!c->ca_file) {
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	c->aws = cfg->aws;
	c->on_wait = cfg->on_wait;
	c->on_wait_ctx = cfg->on_wait_ctx;
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000L;
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 60000L;
	c->curl = curl_easy_init();
	if (!c->curl) {
		rc = vp_fail(err, VP_ERR_NOMEM, "libcurl cannot make a handle");
		goto fail;
	}
	*out = c;
	return VP_OK;
fail:
	free(c->ca_file);
	free(c);
	return rc;
}

void vp_broker_client_free(struct vp_broker_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c->ca_file);
	free(c);
}

const char *vp_broker_client_server_id(const struct vp_broker_client *c)
{
	return c->server_id;
}

void vp_broker_response_init(struct vp_broker_response *r)
{
	r->status = 0;
	r->retry_after_s = 0;
	vp_buf_init(&r->body, VP_BROKER_MAX_RESPONSE);
}

void vp_broker_response_cleanup(struct vp_broker_response *r)
{
	vp_buf_cleanup(&r->body);
}

static size_t on_body(char *data, size_t size, size_t count, void *ctx)
{
	struct vp_buf *b = ctx;

	if (vp_buf_append(b, data, size * count) != VP_OK)
		return 0; /* too large: curl stops with a write error */
	return size * count;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000L +
	       (long)(now.tv_nsec - start->tv_nsec) / 1000000L;
}

/* libcurl calls this about once a second while the transfer runs (and more often while data moves).
 */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct wait_state *w = ctx;
	long ms = elapsed_ms(&w->start);

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (ms / 1000 > w->reported_s) {
		w->reported_s = ms / 1000;
		w->c->on_wait(w->c->on_wait_ctx, ms);
	}
	return 0;
}

/*
 * The message for a transfer that failed: what happened and, where the cause
 * is known, the fix. The scheme decides what a failed handshake means.
 */
static vp_code transfer_error(const struct vp_broker_client *c, CURLcode cc, const char *errbuf,
			      struct vp_error *err)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	bool https = strncmp(c->base_url, "https:", 6) == 0;

	if (cc == CURLE_WRITE_ERROR)
		return vp_fail(err, VP_ERR_IO,
			       "the broker's answer from %s is larger than %zu bytes", c->base_url,
			       VP_BROKER_MAX_RESPONSE);
	/* OpenSSL reads an HTTP answer's first bytes as a TLS record of a version it does not know.
	 */
	if (https && cc == CURLE_SSL_CONNECT_ERROR &&
	    (strstr(why, "wrong version number") || strstr(why, "packet length too long") ||
	     strstr(why, "record layer failure")))
		return vp_fail(err, VP_ERR_IO,
			       "%s answers plain HTTP, not TLS: the broker's URL has the wrong "
			       "scheme or port (use the broker's TLS port; plain http:// is for a "
			       "loopback broker only) (%s)",
			       c->base_url, why);
	if (https && cc == CURLE_PEER_FAILED_VERIFICATION && strstr(why, "subject name"))
		return vp_fail(err, VP_ERR_IO,
			       "the certificate of the broker at %s is not for that host name: "
			       "give --broker a name the certificate holds (%s)",
			       c->base_url, why);
	if (https && (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
		      cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CONNECT_ERROR))
		return vp_fail(err, VP_ERR_IO, "TLS with the broker at %s failed: %s%s",
			       c->base_url, why,
			       cc != CURLE_PEER_FAILED_VERIFICATION ? ""
			       : c->ca_file ? " (is --ca-file the CA that signed the broker's "
					      "certificate?)"
					    : " (a private CA? give it with --ca-file FILE)");
	/* A TLS server answers a plain request with nothing, or with an alert that is not HTTP. */
	if (!https && (cc == CURLE_GOT_NOTHING || cc == CURLE_WEIRD_SERVER_REPLY ||
		       cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_RECV_ERROR))
		return vp_fail(err, VP_ERR_IO,
			       "%s gave no HTTP answer to plain http://: a TLS port? use https:// "
			       "(with --ca-file for a private CA) (%s)",
			       c->base_url, why);
	return vp_fail(err, VP_ERR_IO, "cannot reach the broker at %s: %s", c->base_url, why);
}

static struct curl_slist *add_header(struct curl_slist *list, const char *line, bool *failed)
{
	struct curl_slist *next = curl_slist_append(list, line);

	if (!next)
		*failed = true;
	return next ? next : list;
}

vp_code vp_broker_client_call(struct vp_broker_client *c, const char *method, const char *path,
			      const char *json_body, struct vp_broker_response *resp,
			      struct vp_error *err)
{
	char url[VP_AWS_URL_MAX + 1024], errbuf[CURL_ERROR_SIZE] = "";
	char request[VP_PROOF_REQUEST_MAX + 1];
	struct curl_slist *headers = NULL;
	struct wait_state wait = {.c = c};
	char *proof = NULL, *auth_line = NULL;
	bool failed = false;
	size_t auth_len;
	CURLcode cc;
	vp_code rc;
	int n;

	n = snprintf(url, sizeof(url), "%s%s", c->base_url, path);
	if (n < 0 || (size_t)n >= sizeof(url))
		return vp_fail(err, VP_ERR_INVALID, "the request URL is too long");
	/* A fresh proof per call, bound to it: it is only good for a few minutes. */
	rc = vp_proof_request_line(method, path, strcspn(path, "?"), request, sizeof(request), err);
	if (rc == VP_OK)
		rc = vp_proof_make(c->aws, c->server_id, request, &proof, err);
	if (rc != VP_OK) {
		vp_error_prefix(err, "making the identity proof");
		return rc;
	}
	auth_len = strlen("Authorization: ") + strlen(proof) + 1;
	auth_line = malloc(auth_len);
	if (!auth_line) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto done;
	}
	snprintf(auth_line, auth_len, "Authorization: %s", proof);
	headers = add_header(headers, auth_line, &failed);
	headers = add_header(headers, "Accept: application/json", &failed);
	headers = add_header(headers, "Expect:", &failed);
	if (json_body)
		headers = add_header(headers, "Content-Type: application/json", &failed);
	if (failed) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto done;
	}

	vp_buf_reset(&resp->body);
	resp->status = 0;
	resp->retry_after_s = 0;
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "vpcpeer/" VP_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &resp->body);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	} else {
		const char *body = json_body ? json_body : "";
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	if (c->on_wait) {
		clock_gettime(CLOCK_MONOTONIC, &wait.start);
		curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, &wait);
		curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	}
	cc = curl_easy_perform(c->curl);
	if (cc == CURLE_OK) {
		curl_off_t retry_after = 0;
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
		/* Seconds, or an HTTP date made relative (libcurl 7.66). */
		if (curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
		    retry_after > 0)
			resp->retry_after_s = retry_after > 3600 ? 3600 : (long)retry_after;
		rc = VP_OK;
	} else {
		rc = transfer_error(c, cc, errbuf, err);
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
done:
	for (struct curl_slist *l = headers; l; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(headers);
	if (auth_line) {
		OPENSSL_cleanse(auth_line, auth_len);
		free(auth_line);
	}
	if (proof) {
		OPENSSL_cleanse(proof, strlen(proof));
		free(proof);
	}
	return rc;
}
