/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials from an external process: a profile's credential_process (AWS SDKs and Tools
 * Reference Guide, "Process credential provider"; AWS CLI User Guide, "Sourcing credentials
 * with an external process").
 *
 * The command line is split as the CLI documents it, never through a shell: elements are
 * separated by spaces or tabs, and an element holding spaces is wrapped in double quotes
 * ("C:\x y\z" or "a value"); no variables, no ~. The program is looked up in PATH when its
 * name has no '/'. It must exit 0 within VP_AWS_PROCESS_TIMEOUT_MS and print on stdout (at
 * most 64 KiB) a JSON object: "Version": 1, "AccessKeyId", "SecretAccessKey", optional
 * "SessionToken" and "Expiration" (RFC 3339). Its stderr is the broker's (the tool's own
 * messages reach the operator; the docs tell tools never to write secrets there). Credentials
 * with an Expiration are fetched again before it, as every provider's are (credentials.h).
 */
#ifndef VP_AWS_CREDENTIALS_PROCESS_H
#define VP_AWS_CREDENTIALS_PROCESS_H

#include <stddef.h>

#include "aws/credentials.h"

#define VP_AWS_PROCESS_MAX_ARGS   64
#define VP_AWS_PROCESS_OUTPUT_MAX ((size_t)64 << 10)
#define VP_AWS_PROCESS_TIMEOUT_MS 60000

/*
 * Split a credential_process value into argv (NULL-terminated, at most
 * VP_AWS_PROCESS_MAX_ARGS elements). *argv is the caller's: vp_aws_process_argv_free().
 * VP_ERR_INVALID for an empty command, an unterminated quote or too many elements.
 */
VP_NODISCARD vp_code vp_aws_process_split(const char *command, char ***argv, struct vp_error *err);
void vp_aws_process_argv_free(char **argv);

/*
 * The process's stdout (len bytes, need not be NUL-terminated) into *out (caller-initialised;
 * cleaned up on success first). VP_ERR_AUTH naming what is wrong (never a secret); *out is
 * untouched then.
 */
VP_NODISCARD vp_code vp_aws_process_parse(const char *text, size_t len,
					  struct vp_aws_credentials *out, struct vp_error *err);

/*
 * A "process" provider running `command` (copied) for `profile` (named in messages).
 * Nothing runs until the first vp_aws_credentials_provider_get(). VP_ERR_INVALID when the
 * command does not split.
 */
VP_NODISCARD vp_code vp_aws_process_provider_new(const char *profile, const char *command,
						 const struct vp_aws_chain_options *o,
						 struct vp_aws_credentials_provider **out,
						 struct vp_error *err);

#endif
