/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The set-up the C integration tests of the broker share (tests/integration/
 * broker): the hub's peer roles in awsenv, a throwaway SQLite registry, and
 * the program's main. For cmocka tests: what fails here fails the test.
 */
#ifndef VP_TEST_HUB_WORLD_H
#define VP_TEST_HUB_WORLD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aws/client.h"
#include "awsenv.h"
#include "registry/registry.h"

/* The size of a world's registry directory name ("/tmp/<prefix>-XXXXXX"). */
#define VP_TEST_REGISTRY_DIR_MAX 64

/*
 * CreateRole of each of the peer roles (count of them) in the hub account,
 * trusting the hub account's root, as templates/hub.yaml makes them.
 */
void vp_test_create_peer_roles(struct vp_aws_client *hub, const char *hub_account,
			       const char *const *roles, size_t count);

/*
 * A SQLite registry with a pool of 8 handles in a new directory
 * /tmp/<prefix>-XXXXXX (dir gets its name); url (size bytes, may be NULL)
 * gets the registry's URL.
 */
struct vp_registry *vp_test_registry_new(const char *prefix, char dir[VP_TEST_REGISTRY_DIR_MAX],
					 char *url, size_t size);

/* After vp_registry_close: the registry's files and its directory removed. */
void vp_test_registry_remove(const char *dir);

/*
 * The main of test program `name` against awsenv: errors only in the log,
 * awsenv started in *env, the tests run as cmocka group `group`, awsenv
 * stopped. The exit status.
 */
int vp_test_awsenv_main(const char *name, const char *group, struct vp_test_awsenv *env,
			const struct CMUnitTest *tests, size_t count);

#endif
