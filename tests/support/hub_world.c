/* SPDX-License-Identifier: Apache-2.0 */
/* The broker integration tests' shared set-up (hub_world.h). */
#include "hub_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "awsenv_client.h"
#include "core/log.h"

void vp_test_create_peer_roles(struct vp_aws_client *hub, const char *hub_account,
			       const char *const *roles, size_t count)
{
	char trust[256], accept[384];

	snprintf(trust, sizeof(trust),
		 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
		 "{\"AWS\":\"arn:aws:iam::%s:root\"},\"Action\":\"sts:AssumeRole\"}]}",
		 hub_account);
	/* awsenv judges a session by its role's policies (tests/awsenv/iam_eval.py): the accept
	 * is authorized against the peering and the accepter VPC, as templates/hub.yaml grants */
	snprintf(accept, sizeof(accept),
		 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
		 "\"ec2:AcceptVpcPeeringConnection\",\"Resource\":["
		 "\"arn:aws:ec2:*:%s:vpc-peering-connection/*\",\"arn:aws:ec2:*:%s:vpc/*\"]}]}",
		 hub_account, hub_account);
	for (size_t i = 0; i < count; i++) {
		free(vp_test_aws_raw(hub, VP_AWS_IAM, "CreateRole", NULL, "RoleName", roles[i],
				     "AssumeRolePolicyDocument", trust, (char *)NULL));
		free(vp_test_aws_raw(hub, VP_AWS_IAM, "PutRolePolicy", NULL, "RoleName", roles[i],
				     "PolicyName", "accept", "PolicyDocument", accept,
				     (char *)NULL));
	}
}

struct vp_registry *vp_test_registry_new(const char *prefix, char dir[VP_TEST_REGISTRY_DIR_MAX],
					 char *url, size_t size)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = NULL;
	struct vp_error err;
	char own[128];

	snprintf(dir, VP_TEST_REGISTRY_DIR_MAX, "/tmp/%s-XXXXXX", prefix);
	assert_non_null(mkdtemp(dir));
	if (!url) {
		url = own;
		size = sizeof(own);
	}
	snprintf(url, size, "sqlite:%s/registry.db", dir);
	vp_registry_options_init(&opts);
	opts.pool_size = 8;
	if (vp_registry_open(url, &opts, &reg, &err) != VP_OK)
		fail_msg("registry: %s", err.message);
	return reg;
}

void vp_test_registry_remove(const char *dir)
{
	static const char *const files[] = {"registry.db", "registry.db-wal", "registry.db-shm"};
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int vp_test_awsenv_main(const char *name, const char *group, struct vp_test_awsenv *env,
			const struct CMUnitTest *tests, size_t count)
{
	int rc;

	vp_log_setup(VP_LOG_ERROR, VP_LOG_TEXT, NULL);
	if (vp_test_awsenv_setup(name, env) != 0)
		return 1;
	rc = _cmocka_run_group_tests(group, tests, count, NULL, NULL);
	vp_test_awsenv_teardown(name, env);
	return rc;
}
