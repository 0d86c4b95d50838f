/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lambda Invoke, synchronous (RequestResponse): the confirmation handler
 * runs the client template's probe function this way (docs/lambda.md, "The
 * probe function").
 *
 * POST /2015-03-31/functions/{FunctionName}/invocations with the event as
 * the body and X-Amz-Invocation-Type: RequestResponse; the answer's body is
 * the function's result. A function that failed still answers 200, with
 * X-Amz-Function-Error ("Unhandled"; "Handled" from older runtimes) and the
 * error object {"errorType", "errorMessage"} as the body (Lambda API
 * Reference, Invoke:
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 */
#ifndef VP_AWS_LAMBDA_H
#define VP_AWS_LAMBDA_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/error.h"
#include "core/buf.h"

struct vp_aws_client;

#define VP_AWS_LAMBDA_FUNCTION_MAX 170 /* FunctionName: a name, an ARN or a partial ARN */

/*
 * Whether `name` is a FunctionName Invoke takes: 1..170 characters of
 * letters, digits, '-', '_', ':', '.' and '$' (a qualifier such as $LATEST).
 */
bool vp_aws_lambda_function_name_valid(const char *name);

struct vp_aws_lambda_result {
	bool function_error; /* the function failed: result holds Lambda's error object */
	char error_kind[32]; /* X-Amz-Function-Error: "Unhandled", "Handled" ("" when none) */
};

/*
 * Invoke `function` with `payload` (JSON text) and wait up to timeout_ms for
 * the answer (0: the client's timeout); one attempt, no retry. VP_OK when Lambda ran it, whatever
 * the function did: `result` (caller-initialised, replaced) holds its
 * answer, out->function_error says whether that is an error object. An
 * error when Lambda refused (not found, not allowed, throttled: err names
 * Lambda's code) or could not be reached.
 */
VP_NODISCARD vp_code vp_aws_lambda_invoke(struct vp_aws_client *client, const char *function,
					  const char *payload, long timeout_ms,
					  struct vp_buf *result, struct vp_aws_lambda_result *out,
					  struct vp_aws_error *err);

#endif
