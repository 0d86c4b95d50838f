/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry's input checks: bounded printable fields and JSON object text
 * (labels, event details); account ids and client_refs are core/ids.h's. Every call checks its
 * inputs before it opens a transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

vp_code vp_registry_check_field(const char *value, size_t max, const char *what,
				struct vp_error *err)
{
	if (!value)
		return VP_OK;
	if (strnlen(value, max + 1) > max)
		return vp_fail(err, VP_ERR_INVALID, "%s is longer than %zu bytes", what, max);
	if (!printable(value))
		return vp_fail(err, VP_ERR_INVALID, "%s has a byte outside printable ASCII", what);
	return VP_OK;
}

vp_code vp_registry_check_fields(const struct vp_registry_field *fields, size_t count,
				 struct vp_error *err)
{
	vp_code code = VP_OK;

	for (size_t i = 0; i < count && code == VP_OK; i++)
		code = vp_registry_check_field(fields[i].value, fields[i].max, fields[i].what, err);
	return code;
}

vp_code vp_registry_json_text(const char *text, json_t *extra, size_t max, const char *what,
			      char *out, struct vp_error *err)
{
	json_error_t jerr;
	json_t *obj;
	char *dumped;
	vp_code code = VP_OK;

	if (text && strnlen(text, 4 * max + 1) > 4 * max)
		return vp_fail(err, VP_ERR_INVALID, "%s is longer than %zu bytes", what, max);
	obj = text ? json_loads(text, JSON_REJECT_DUPLICATES, &jerr) : json_object();
	if (!obj)
		return vp_fail(err, VP_ERR_INVALID, "%s is not JSON: %s", what, jerr.text);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return vp_fail(err, VP_ERR_INVALID, "%s must be a JSON object", what);
	}
	if (extra && json_object_update(obj, extra) != 0) {
		json_decref(obj);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	dumped = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (!dumped)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (strlen(dumped) > max)
		code = vp_fail(err, VP_ERR_INVALID,
			       "%s is %zu bytes as compact JSON, more than %zu", what,
			       strlen(dumped), max);
	else
		memcpy(out, dumped, strlen(dumped) + 1);
	free(dumped);
	return code;
}
