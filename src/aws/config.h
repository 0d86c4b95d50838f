/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared AWS config and credentials files (botocore configloader.py,
 * the SDKs reference guide "Shared config and credentials files").
 *
 *   config       AWS_CONFIG_FILE, else ~/.aws/config:      [default], [profile NAME], [services
 * NAME] credentials  AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials:   [NAME]
 *
 * "key = value" lines; a key with an empty value opens a block of indented
 * "sub = value" lines (the services sections: "ec2 =\n  endpoint_url = ...").
 * Lines starting with # or ; are comments. A missing file is an empty one.
 * The parsed files are immutable after loading and may be read by several
 * threads. Values may be secrets (aws_secret_access_key): they are wiped on
 * free and never put in error messages.
 */
#ifndef VP_AWS_CONFIG_H
#define VP_AWS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

enum vp_aws_config_file { VP_AWS_CONFIG_FILE, VP_AWS_CREDENTIALS_FILE };

#define VP_AWS_CONFIG_FILE_MAX ((size_t)1 << 20)

struct vp_aws_config;

/*
 * Load both files. A NULL path means the variable, then the default under
 * $HOME. *out is the caller's: vp_aws_config_free().
 */
VP_NODISCARD vp_code vp_aws_config_load(const char *config_path, const char *credentials_path,
					struct vp_aws_config **out, struct vp_error *err);

/* An empty configuration, to parse text into (tests, fuzzing). */
VP_NODISCARD vp_code vp_aws_config_new(struct vp_aws_config **out, struct vp_error *err);

/* Parse the text of one file into `cfg`; `name` names it in error messages. */
VP_NODISCARD vp_code vp_aws_config_parse(struct vp_aws_config *cfg, enum vp_aws_config_file which,
					 const char *name, const char *text, size_t len,
					 struct vp_error *err);

void vp_aws_config_free(struct vp_aws_config *cfg);

/* A profile's key from one file, or NULL. Valid until vp_aws_config_free. */
const char *vp_aws_config_file_value(const struct vp_aws_config *cfg, enum vp_aws_config_file which,
				     const char *profile, const char *key);

/* A profile's key, the credentials file first, then the config file. */
const char *vp_aws_config_value(const struct vp_aws_config *cfg, const char *profile,
				const char *key);

/* Whether the profile has a section in either file. */
bool vp_aws_config_has_profile(const struct vp_aws_config *cfg, const char *profile);

/*
 * A service's setting through the profile's "services = NAME" section:
 * [services NAME] / sts = / endpoint_url = ... . `service` is the lower-case
 * service id ("sts", "iam", "ec2").
 */
const char *vp_aws_config_service_value(const struct vp_aws_config *cfg, const char *profile,
					const char *service, const char *key);

/*
 * The environment half of the configuration: a variable's value, NULL when
 * it is unset or empty (the SDKs treat both alike).
 */
const char *vp_aws_env(const char *name);
/* Whether a variable is set to "true" (any case). */
bool vp_aws_env_true(const char *name);

#endif
