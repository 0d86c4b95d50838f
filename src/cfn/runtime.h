/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda Runtime API of a custom runtime (provided.al2023; aws-wire.md
 * §8): fetch the next invocation (a long poll without a timeout: the sandbox
 * is frozen between events), post its result or its error, report an init
 * error. vp_lambda_run() is the loop: one invocation at a time, a handler
 * error becomes an invocation error and the loop goes on.
 *
 * Ownership: vp_lambda_runtime_new() gives the caller a runtime to
 * vp_lambda_runtime_free(). An invocation is caller storage:
 * vp_lambda_invocation_init() / _cleanup(). libcurl must have been
 * initialised (vp_aws_global_init). One thread.
 */
#ifndef VP_CFN_RUNTIME_H
#define VP_CFN_RUNTIME_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

#define VP_LAMBDA_API_VERSION    "2018-06-01"
#define VP_LAMBDA_MAX_EVENT      ((size_t)6 << 20) /* Lambda's synchronous payload limit */
#define VP_LAMBDA_REQUEST_ID_MAX 255

struct vp_lambda_runtime;

struct vp_lambda_invocation {
	char request_id[VP_LAMBDA_REQUEST_ID_MAX + 1]; /* Lambda-Runtime-Aws-Request-Id */
	int64_t deadline_ms;    /* Lambda-Runtime-Deadline-Ms (unix ms); 0 when absent or bad */
	char function_arn[512]; /* Lambda-Runtime-Invoked-Function-Arn */
	char trace_id[512];     /* Lambda-Runtime-Trace-Id */
	struct vp_buf event;    /* the body */
};

void vp_lambda_invocation_init(struct vp_lambda_invocation *inv);
void vp_lambda_invocation_cleanup(struct vp_lambda_invocation *inv);

/* `api` is AWS_LAMBDA_RUNTIME_API's host:port. VP_ERR_INVALID when it is not one. */
VP_NODISCARD vp_code vp_lambda_runtime_new(const char *api, struct vp_lambda_runtime **out,
					   struct vp_error *err);
void vp_lambda_runtime_free(struct vp_lambda_runtime *rt);

/*
 * A flag a signal handler sets to stop the loop (serve-lambda's SIGTERM,
 * issue 18): the long poll for the next event checks it about once a second
 * and then fails with VP_ERR_UNAVAILABLE, which ends vp_lambda_run() with
 * VP_OK. An invocation in progress is finished first. NULL (the default): none.
 */
void vp_lambda_runtime_set_stop(struct vp_lambda_runtime *rt, volatile sig_atomic_t *stop);

/*
 * GET /runtime/invocation/next, waiting as long as it takes. VP_ERR_IO when
 * the Runtime API cannot be reached or answers other than 200; VP_ERR_INVALID
 * when the answer has no request id; VP_ERR_UNAVAILABLE when the stop flag
 * was raised while waiting. An event larger than
 * VP_LAMBDA_MAX_EVENT gives VP_ERR_RANGE with inv->request_id set, so it can
 * be reported as that invocation's error.
 */
VP_NODISCARD vp_code vp_lambda_next(struct vp_lambda_runtime *rt, struct vp_lambda_invocation *inv,
				    struct vp_error *err);

/* POST /runtime/invocation/{id}/response with a JSON body. VP_ERR_IO unless 202. */
VP_NODISCARD vp_code vp_lambda_respond(struct vp_lambda_runtime *rt, const char *request_id,
				       const char *json_body, struct vp_error *err);

/*
 * POST /runtime/invocation/{id}/error, or /runtime/init/error when request_id
 * is NULL: {"errorMessage": message, "errorType": type} with header
 * Lambda-Runtime-Function-Error-Type: type.
 */
VP_NODISCARD vp_code vp_lambda_report_error(struct vp_lambda_runtime *rt, const char *request_id,
					    const char *type, const char *message,
					    struct vp_error *err);

/*
 * Handle one invocation. On VP_OK `response` holds the JSON to post as the
 * result. Otherwise the invocation is reported as an error of `error_type`
 * (a short CamelCase name; "HandlerError" when left empty) with err's message.
 */
typedef vp_code (*vp_lambda_handler_fn)(void *ctx, const struct vp_lambda_invocation *inv,
					struct vp_buf *response, char *error_type,
					size_t error_type_size, struct vp_error *err);

/*
 * The loop: next, handle, respond, for `max_events` invocations (0: until
 * the Runtime API goes away). Returns VP_OK after max_events, or the error
 * that stopped it (the Runtime API unreachable). Failing to post one result
 * is logged and the loop goes on.
 */
VP_NODISCARD vp_code vp_lambda_run(struct vp_lambda_runtime *rt, vp_lambda_handler_fn handler,
				   void *ctx, unsigned long max_events, struct vp_error *err);

#endif
