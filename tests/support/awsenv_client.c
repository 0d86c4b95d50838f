/* SPDX-License-Identifier: Apache-2.0 */
#include "awsenv_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/tree.h>

#include "aws/xml.h"
#include "static_client.h"

int vp_test_awsenv_setup(const char *name, struct vp_test_awsenv *env)
{
	struct vp_error err;
	char msg[512];

	/* the chain must not wander off to the real IMDS or a developer's ~/.aws */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_STS");
	if (vp_aws_global_init(&err) != VP_OK) {
		fprintf(stderr, "%s: %s\n", name, err.message);
		return 1;
	}
	if (vp_test_awsenv_start(env, NULL, NULL, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "%s: awsenv: %s\n", name, msg);
		vp_aws_global_cleanup();
		return 1;
	}
	return 0;
}

void vp_test_awsenv_teardown(const char *name, struct vp_test_awsenv *env)
{
	if (vp_test_awsenv_stop(env) != 0)
		fprintf(stderr, "%s: awsenv did not stop cleanly\n", name);
	vp_aws_global_cleanup();
}

struct vp_aws_client *vp_test_aws_client(const struct vp_test_awsenv *env, const char *key,
					 const char *secret, const char *token,
					 double retry_base_delay)
{
	struct vp_aws_client_config cfg = {
		.region = "us-east-1",
		.endpoint_url = env->url,
		.config_file = "/nonexistent",
		.credentials_file = "/nonexistent",
		.retry_base_delay = retry_base_delay,
	};

	return vp_test_static_client(cfg, key, secret, token);
}

char *vp_test_aws_raw(struct vp_aws_client *c, enum vp_aws_service svc, const char *action,
		      const char *field, ...)
{
	struct vp_aws_params p;
	struct vp_aws_error err;
	struct vp_buf body;
	xmlDoc *doc = NULL;
	char *value = NULL;
	va_list ap;
	const char *name;

	vp_aws_params_init(&p, svc, action);
	va_start(ap, field);
	while ((name = va_arg(ap, const char *)))
		vp_aws_params_add(&p, name, va_arg(ap, const char *));
	va_end(ap);
	vp_buf_init(&body, VP_AWS_XML_MAX);
	if (vp_aws_client_call(c, svc, action, &p, &body, &err) != VP_OK)
		fail_msg("%s: %s", action, err.error.message);
	if (field) {
		xmlNode *n;
		xmlChar *t;
		assert_int_equal(vp_aws_xml_parse(body.data, body.len, &doc, NULL), VP_OK);
		n = vp_aws_xml_find(xmlDocGetRootElement(doc), field);
		assert_non_null(n);
		t = xmlNodeGetContent(n);
		value = strdup((const char *)t);
		xmlFree(t);
		xmlFreeDoc(doc);
	}
	vp_buf_cleanup(&body);
	vp_aws_params_cleanup(&p);
	return value;
}

void vp_test_awsenv_post(struct vp_test_awsenv *env, const char *path, const char *json)
{
	char out[4096];
	long status = vp_test_awsenv_control(env, "POST", path, json, out, sizeof(out));

	if (status != 200)
		fail_msg("%s: %ld %s", path, status, out);
}
