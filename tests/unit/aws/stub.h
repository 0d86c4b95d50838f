/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scripted HTTP server on 127.0.0.1 (libmicrohttpd) standing in for IMDS,
 * the container credentials endpoint, STS or EC2 in the AWS client's unit
 * tests. Rules answer requests by method and path (the first rule that
 * matches and has answers left wins; "*" matches anything); every request is
 * recorded. Thread-safe; the server runs its own thread.
 */
#ifndef VP_TEST_AWS_STUB_H
#define VP_TEST_AWS_STUB_H

#include <stddef.h>

struct stub;

struct stub_request {
	char method[8];
	char path[256];
	char authorization[1024];
	char imds_token[256]; /* X-aws-ec2-metadata-token */
	char imds_ttl[32];    /* X-aws-ec2-metadata-token-ttl-seconds */
	char body[8192];
};

struct stub *stub_start(void);
void stub_stop(struct stub *s);
/* "http://127.0.0.1:PORT" */
const char *stub_url(const struct stub *s);

/* Answer `times` requests (-1: all) to method+path with status and body; status 0: close the
 * connection without an answer. */
void stub_on(struct stub *s, const char *method, const char *path, int times, int status,
	     const char *body);
/* Forget the rules and the recorded requests. */
void stub_reset(struct stub *s);

size_t stub_request_count(struct stub *s);
/* A copy of request i (0-based). */
struct stub_request stub_request_at(struct stub *s, size_t i);
/* TCP connections accepted so far. */
size_t stub_connections(struct stub *s);

#endif
