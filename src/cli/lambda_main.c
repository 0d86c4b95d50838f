/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vpcpeer-lambda: the lean program of the Lambda zip (docs/lambda.md). It runs
 * only `vpcpeer lambda` (cmd_lambda.c, the same code as the full program's
 * command), so it links only core, aws, client, proof and cfn, and loads none
 * of libmicrohttpd, GnuTLS, libpq or SQLite (src/CMakeLists.txt). The zip's
 * copy is linked statically against the rest (VPCPEER_LAMBDA_STATIC): the
 * loader then relocates glibc alone at start.
 *
 *   vpcpeer-lambda [options]   ==   vpcpeer lambda [options]
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cmd_lambda_main(argc, argv);
}
