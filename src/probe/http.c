/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An HTTP(S) attempt with libcurl: one GET, no redirect followed (a 3xx is an
 * answer, and following it could leave the VPC), the body not read past its
 * first bytes. The name is resolved here, as for TCP, and handed to libcurl
 * (CURLOPT_RESOLVE), so both kinds say "not resolved" the same way and tests
 * can inject the resolver.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "probe/internal.h"

/* The status line and headers are all we need: stop at the first body byte. */
static size_t discard_body(char *data, size_t size, size_t nmemb, void *user)
{
	(void)data;
	(void)size;
	(void)nmemb;
	(void)user;
	return 0;
}

/* "host:port:addr1,addr2" for CURLOPT_RESOLVE; false when it does not fit. */
static bool resolve_entry(const struct vp_probe_target *t, const struct sockaddr_storage *addrs,
			  int count, char *out, size_t size)
{
	size_t len;
	int n = snprintf(out, size, "%s:%u:", t->host, (unsigned)t->port);

	if (n < 0 || (size_t)n >= size)
		return false;
	len = (size_t)n;
	for (int i = 0; i < count; i++) {
		char addr[64];
		probe_format_address(&addrs[i], addr, sizeof(addr));
		n = snprintf(out + len, size - len,
			     addrs[i].ss_family == AF_INET6 ? "%s[%s]" : "%s%s", i ? "," : "",
			     addr);
		if (n < 0 || (size_t)n >= size - len)
			return false;
		len += (size_t)n;
	}
	return true;
}

/* libcurl's result as an outcome, once the transfer has ended with rc. */
static enum vp_probe_outcome outcome_of(CURL *curl, CURLcode rc, struct probe_attempt *a)
{
	curl_off_t connect_us = 0;
	long os_errno = 0;

	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->http_status);
	curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us);
	if ((rc == CURLE_OK || rc == CURLE_WRITE_ERROR) && a->http_status > 0)
		return a->http_status >= 200 && a->http_status < 400 ? VP_PROBE_CONNECTED
								     : VP_PROBE_HTTP_STATUS;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
		a->sys_errno = (int)os_errno;
		return os_errno ? probe_outcome_of_errno((int)os_errno) : VP_PROBE_ERROR;
	case CURLE_OPERATION_TIMEDOUT:
		/* Timed out before the connection: dropped on the way; after it: the service. */
		if (connect_us > 0)
			return VP_PROBE_NO_ANSWER;
		a->sys_errno = ETIMEDOUT;
		return VP_PROBE_TIMED_OUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return VP_PROBE_NOT_RESOLVED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return VP_PROBE_TLS_FAILED;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_PARTIAL_FILE:
		return VP_PROBE_NO_ANSWER;
	default:
		return VP_PROBE_ERROR;
	}
}

void probe_http_attempt(const struct vp_probe_target *target, const struct vp_probe_options *o,
			int64_t limit_ms, struct probe_attempt *a)
{
	struct sockaddr_storage addrs[VP_PROBE_MAX_ADDRESSES];
	char errbuf[CURL_ERROR_SIZE] = "", entry[VP_PROBE_HOST_MAX + 16 + 8 * 48];
	struct curl_slist *resolve = NULL;
	curl_off_t total_us = 0;
	char *ip = NULL;
	CURLcode rc;
	CURL *curl;
	int count = probe_addresses(target, o, addrs, a);

	if (count == 0)
		return;
	curl = curl_easy_init();
	if (!curl) {
		a->outcome = VP_PROBE_ERROR;
		snprintf(a->detail, sizeof(a->detail), "libcurl could not start a transfer");
		return;
	}
	if (target->family == AF_UNSPEC) {
		if (!resolve_entry(target, addrs, count, entry, sizeof(entry)) ||
		    !(resolve = curl_slist_append(NULL, entry))) {
			a->outcome = VP_PROBE_ERROR;
			snprintf(a->detail, sizeof(a->detail), "out of memory");
			curl_easy_cleanup(curl);
			return;
		}
		curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
	}
	curl_easy_setopt(curl, CURLOPT_URL, target->text);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)limit_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)limit_ms);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "vpcpeer-probe");
	/* Proxies are for the internet; the probe asks for a path through this VPC. */
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	if (o->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, o->ca_file);
	rc = curl_easy_perform(curl);
	a->outcome = outcome_of(curl, rc, a);
	if (curl_easy_getinfo(curl, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && ip[0])
		snprintf(a->address, sizeof(a->address), "%s", ip);
	else
		probe_format_address(&addrs[0], a->address, sizeof(a->address));
	if (curl_easy_getinfo(curl, CURLINFO_LOCAL_IP, &ip) == CURLE_OK && ip && ip[0])
		snprintf(a->local_address, sizeof(a->local_address), "%s", ip);
	else /* libcurl knows it only once connected: the words of a timeout need it */
		probe_source_address(a->address, a->local_address, sizeof(a->local_address));
	curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us);
	a->time_ms = (int64_t)(total_us / 1000);
	if (a->outcome != VP_PROBE_CONNECTED && a->outcome != VP_PROBE_HTTP_STATUS)
		snprintf(a->detail, sizeof(a->detail), "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
	curl_easy_cleanup(curl);
	curl_slist_free_all(resolve);
}
