/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging for the long-running programs (the broker, the Lambda handler).
 *
 * One line per event on stderr (or the stream given to vp_log_setup), either
 * human-readable ("2026-11-26T09:00:00Z info  message key=value") or one JSON
 * object per line ({"time":..., "level":..., "msg":..., key: value}). Lines
 * are written whole, so threads never interleave. Never log a secret.
 * Library code below the edges logs only through this module.
 */
#ifndef VP_CORE_LOG_H
#define VP_CORE_LOG_H

#include <stdio.h>

#include <jansson.h>

#include "core/error.h"

enum vp_log_level { VP_LOG_DEBUG, VP_LOG_INFO, VP_LOG_WARN, VP_LOG_ERROR };
enum vp_log_format { VP_LOG_TEXT, VP_LOG_JSON };

/* Call once at start-up, before any thread logs. out NULL means stderr. */
void vp_log_setup(enum vp_log_level min_level, enum vp_log_format format, FILE *out);

/* Parse "debug|info|warn|error" and "text|json"; VP_ERR_INVALID otherwise. */
VP_NODISCARD vp_code vp_log_level_parse(const char *name, enum vp_log_level *out,
					struct vp_error *err);
VP_NODISCARD vp_code vp_log_format_parse(const char *name, enum vp_log_format *out,
					 struct vp_error *err);

int vp_log_enabled(enum vp_log_level level);

/* A message with printf-style formatting. */
void vp_log(enum vp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A message with structured fields. Takes ownership of `fields` (a JSON
 * object, may be NULL) and frees it.
 */
void vp_log_event(enum vp_log_level level, const char *msg, json_t *fields);

#endif
