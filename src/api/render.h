/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON the API answers (docs/api.md): namespace objects, the error
 * object {"error": {"code", "message"}} and the status that goes with each
 * vp_code. The vp_render_* answer functions fill a struct vp_api_call; when
 * memory runs out they leave a fixed 500 answer instead.
 */
#ifndef VP_API_RENDER_H
#define VP_API_RENDER_H

#include <jansson.h>

#include "api/handler.h"
#include "broker/broker.h"

/* The HTTP status and the API error code of a vp_code (docs/api.md "Errors"). */
unsigned vp_render_status(vp_code code);
const char *vp_render_code(vp_code code);

/* A time as the API writes it ("2026-11-26T09:00:00Z"), JSON null for 0. */
json_t *vp_render_time(int64_t t);

/* A namespace object, or NULL when out of memory. The caller decrefs it. */
json_t *vp_render_namespace(const struct vp_registration *reg);

/* Answer `doc` as JSON with `status`; takes ownership of doc (NULL: a 500). */
void vp_render_json(struct vp_api_call *call, unsigned status, json_t *doc);

/* Answer an error of the code's status, with Retry-After where it applies. */
void vp_render_error(struct vp_api_call *call, vp_code code, const char *message);

/* Answer an error with an explicit status and API code (405, 413, 429). */
void vp_render_problem(struct vp_api_call *call, unsigned status, const char *api_code,
		       const char *message);

/* Answer text (taken over; NULL: a 500) with a content type. */
void vp_render_text(struct vp_api_call *call, unsigned status, char *text,
		    const char *content_type);

#endif
