/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small HTTP client for the broker's REST API (docs/api.md), for the CLI.
 *
 * Each request carries a fresh identity proof (proof/proof.h) made with the
 * given AWS client's credentials for the broker's server id. TLS peers are
 * always verified (ca_file for a private CA); plain http:// is refused except
 * to a loopback address, where a test or a local broker listens. No
 * redirects, bounded answers, timeouts.
 *
 * A client is for one thread. vp_broker_client_new() gives the caller a
 * client to vp_broker_client_free(); the AWS client is borrowed and must
 * outlive it. libcurl must have been initialised (vp_aws_global_init).
 */
#ifndef VP_CLIENT_BROKER_CLIENT_H
#define VP_CLIENT_BROKER_CLIENT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

struct vp_aws_client;

#define VP_BROKER_MAX_RESPONSE ((size_t)4 << 20)

struct vp_broker_client_config {
	const char *base_url;      /* "https://broker.example.com[:port][/prefix]"; required */
	const char *server_id;     /* NULL: the URL's host:port (vp_proof_default_server_id) */
	const char *ca_file;       /* PEM bundle for the broker's certificate; NULL: system CAs */
	struct vp_aws_client *aws; /* signs the proofs (borrowed); required */
	long connect_timeout_ms;   /* 0: 10 s */
	long timeout_ms;           /* whole request; 0: 60 s */
	/*
	 * Called about once a second while a call waits for its answer, with the
	 * milliseconds since it started (the CLI's progress line); NULL: none.
	 */
	void (*on_wait)(void *ctx, long waited_ms);
	void *on_wait_ctx;
};

struct vp_broker_client;

/*
 * The checks of vp_broker_client_new() that need no AWS client (the URL, the
 * server id, the CA file): a caller can make them before it looks for
 * credentials. VP_ERR_INVALID names what is wrong.
 */
VP_NODISCARD vp_code vp_broker_client_config_check(const struct vp_broker_client_config *cfg,
						   struct vp_error *err);

/* VP_ERR_INVALID names what is wrong with the URL, server id or CA file. */
VP_NODISCARD vp_code vp_broker_client_new(const struct vp_broker_client_config *cfg,
					  struct vp_broker_client **out, struct vp_error *err);
void vp_broker_client_free(struct vp_broker_client *c);

/* The server id the proofs name. */
const char *vp_broker_client_server_id(const struct vp_broker_client *c);

struct vp_broker_response {
	long status;        /* HTTP status */
	long retry_after_s; /* the answer's Retry-After in seconds; 0: none */
	struct vp_buf body; /* the answer's body (JSON from the broker) */
};

void vp_broker_response_init(struct vp_broker_response *r);
void vp_broker_response_cleanup(struct vp_broker_response *r);

/*
 * One call: `method` ("GET", "POST", "DELETE") to base_url + path ("/v1/...",
 * with its query string), with a JSON body or NULL. VP_OK whenever the broker
 * answered, whatever the status (resp is replaced); VP_ERR_IO when it could
 * not be reached ("cannot reach the broker at URL: ..."; a scheme that does
 * not match the port, https:// to plain HTTP or http:// to TLS, and an
 * untrusted certificate are named with their fix); the proof's errors
 * (credentials) as they come.
 */
VP_NODISCARD vp_code vp_broker_client_call(struct vp_broker_client *c, const char *method,
					   const char *path, const char *json_body,
					   struct vp_broker_response *resp, struct vp_error *err);

#endif
