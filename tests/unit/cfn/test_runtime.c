/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda Runtime API loop against a loopback Runtime API (fake.c): in
 * process with the real handler, and the vpcpeer program started as
 * `bootstrap` the way Lambda starts a custom runtime.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfn/handler.h"
#include "cfn/response.h"
#include "cfn/runtime.h"
#include "fake.h"

static int setup(void **state)
{
	(void)state;
	fake_reset(fake);
	return 0;
}

static char *event(const char *type, const char *resource, const char *physical_id,
		   const char *request_id)
{
	char url[256];
	json_t *ev;
	char *text;

	snprintf(url, sizeof(url), "%s/cfn/%s", fake_url(fake), request_id);
	ev = json_pack("{ss ss ss ss ss ss s{ss}}", "RequestType", type, "ResponseURL", url,
		       "StackId", "arn:aws:cloudformation:us-east-1:222222222222:stack/s/guid",
		       "RequestId", request_id, "ResourceType", resource, "LogicalResourceId",
		       "Registration", "ResourceProperties", "BrokerUrl", fake_url(fake));
	if (physical_id)
		json_object_set_new(ev, "PhysicalResourceId", json_string(physical_id));
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return text;
}

static void queue(const char *lambda_id, char *body)
{
	fake_queue_event(fake, lambda_id, vp_cfn_now_ms() + 60000, body);
	free(body);
}

/* A malformed invocation becomes an invocation error and the loop goes on. */
static void test_loop_reports_malformed_events_and_goes_on(void **state)
{
	struct vp_cfn_handler_config cfg = {
		.aws = fake_aws, .broker_url = fake_url(fake), .put_retry_delay_ms = 10};
	struct vp_lambda_runtime *rt = NULL;
	struct fake_post post;
	struct vp_error err;
	json_t *doc;

	(void)state;
	queue("lambda-1", event("Create", VP_CFN_REGISTRATION_TYPE, NULL, "cfn-1"));
	fake_queue_event(fake, "lambda-2", vp_cfn_now_ms() + 60000, "this is not an event");
	queue("lambda-3", event("Delete", VP_CFN_CONFIRMATION_TYPE, "vpcpeer-confirm-1", "cfn-3"));
	fake_queue_event(fake, "lambda-4", 0, "{\"ResponseURL\": 1}");

	assert_int_equal(vp_lambda_runtime_new(fake_hostport(fake), &rt, &err), VP_OK);
	if (vp_lambda_run(rt, vp_cfn_lambda_handler, &cfg, 4, &err) != VP_OK)
		fail_msg("%s", err.message);
	vp_lambda_runtime_free(rt);

	assert_int_equal(fake_post_count(fake), 4);
	post = fake_post_at(fake, 0);
	assert_string_equal(post.path, "/2018-06-01/runtime/invocation/lambda-1/response");
	doc = json_loads(post.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "Status")), "SUCCESS");
	assert_int_equal(strncmp(json_string_value(json_object_get(doc, "PhysicalResourceId")),
				 "vpcpeer-ns-1-", 13),
			 0);
	json_decref(doc);

	post = fake_post_at(fake, 1);
	assert_string_equal(post.path, "/2018-06-01/runtime/invocation/lambda-2/error");
	assert_string_equal(post.error_type, "InvalidEvent");
	doc = json_loads(post.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "errorType")), "InvalidEvent");
	assert_non_null(
		strstr(json_string_value(json_object_get(doc, "errorMessage")), "not JSON"));
	json_decref(doc);

	post = fake_post_at(fake, 2);
	assert_string_equal(post.path, "/2018-06-01/runtime/invocation/lambda-3/response");
	post = fake_post_at(fake, 3);
	assert_string_equal(post.path, "/2018-06-01/runtime/invocation/lambda-4/error");
	/* Two answers went to CloudFormation; the broker saw only the registration. */
	assert_int_equal(fake_put_count(fake), 2);
	assert_int_equal(fake_broker_call_count(fake), 1);
}

static void test_loop_stops_when_the_runtime_api_goes_away(void **state)
{
	struct vp_lambda_runtime *rt = NULL;
	struct vp_cfn_handler_config cfg = {.aws = fake_aws};
	struct vp_error err;

	(void)state;
	/* The fake answers 500 when nothing is queued. */
	assert_int_equal(vp_lambda_runtime_new(fake_hostport(fake), &rt, &err), VP_OK);
	assert_int_equal(vp_lambda_run(rt, vp_cfn_lambda_handler, &cfg, 0, &err), VP_ERR_IO);
	vp_lambda_runtime_free(rt);
	assert_int_equal(vp_lambda_runtime_new("", &rt, &err), VP_ERR_INVALID);
	assert_int_equal(vp_lambda_runtime_new("127.0.0.1", &rt, &err), VP_ERR_INVALID);
	assert_int_equal(vp_lambda_runtime_new("127.0.0.1:80/x", &rt, &err), VP_ERR_INVALID);
}

static void test_init_error(void **state)
{
	struct vp_lambda_runtime *rt = NULL;
	struct vp_error err;
	struct fake_post post;

	(void)state;
	assert_int_equal(vp_lambda_runtime_new(fake_hostport(fake), &rt, &err), VP_OK);
	assert_int_equal(vp_lambda_report_error(rt, NULL, "InitError", "no credentials", &err),
			 VP_OK);
	vp_lambda_runtime_free(rt);
	post = fake_post_at(fake, 0);
	assert_string_equal(post.path, "/2018-06-01/runtime/init/error");
	assert_string_equal(post.error_type, "InitError");
}

/* Lambda runs the zip's bootstrap with AWS_LAMBDA_RUNTIME_API and the role's credentials. */
static void test_program_named_bootstrap(void **state)
{
	char dir[] = "/tmp/vpcpeer-bootstrap-XXXXXX", path[256];
	struct fake_post post;
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bootstrap", dir);
	assert_int_equal(symlink(VPCPEER_BINARY, path), 0);
	queue("lambda-a", event("Create", VP_CFN_REGISTRATION_TYPE, NULL, "cfn-a"));
	fake_queue_event(fake, "lambda-b", vp_cfn_now_ms() + 60000, "{");

	setenv("AWS_LAMBDA_RUNTIME_API", fake_hostport(fake), 1);
	setenv("VPCPEER_LOG_LEVEL", "error", 1);
	/* the broker pinned in the function's configuration, as templates/client.yaml sets it */
	setenv("VPCPEER_BROKER_URL", fake_url(fake), 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(path, "bootstrap", "--max-events", "2", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	rmdir(dir);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fake_post_count(fake), 2);
	post = fake_post_at(fake, 0);
	assert_string_equal(post.path, "/2018-06-01/runtime/invocation/lambda-a/response");
	post = fake_post_at(fake, 1);
	assert_string_equal(post.path, "/2018-06-01/runtime/invocation/lambda-b/error");
	assert_int_equal(fake_put_count(fake), 1);
	assert_non_null(strstr(fake_put_at(fake, 0).body, "\"Status\":\"SUCCESS\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_loop_reports_malformed_events_and_goes_on, setup),
		cmocka_unit_test_setup(test_loop_stops_when_the_runtime_api_goes_away, setup),
		cmocka_unit_test_setup(test_init_error, setup),
		cmocka_unit_test_setup(test_program_named_bootstrap, setup),
	};
	return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}
