/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry's input checks: account ids and client_refs (public, for the
 * edges too), bounded printable fields, and JSON object text (labels, event
 * details). Every call checks its inputs before it opens a transaction.
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

vp_code vp_registry_check_account(const char *account, struct vp_error *err)
{
	size_t len;

	if (!account)
		return vp_fail(err, VP_ERR_INVALID, "missing account id");
	len = strnlen(account, VP_REGISTRY_ACCOUNT_LEN + 1);
	for (size_t i = 0; i < len; i++)
		if (account[i] < '0' || account[i] > '9')
			len = 0;
	if (len != VP_REGISTRY_ACCOUNT_LEN)
		return vp_fail(err, VP_ERR_INVALID,
			       "account id '%.32s' is not 12 digits (an AWS account id is)",
			       printable(account) ? account : "?");
	return VP_OK;
}

vp_code vp_registry_check_client_ref(const char *client_ref, struct vp_error *err)
{
	size_t len;

	if (!client_ref || !*client_ref)
		return vp_fail(err, VP_ERR_INVALID, "missing client_ref (the idempotency key)");
	len = strnlen(client_ref, VP_REGISTRY_CLIENT_REF_MAX + 1);
	if (len > VP_REGISTRY_CLIENT_REF_MAX)
		return vp_fail(err, VP_ERR_INVALID, "client_ref is longer than %d bytes",
			       VP_REGISTRY_CLIENT_REF_MAX);
	if (!printable(client_ref))
		return vp_fail(err, VP_ERR_INVALID,
			       "client_ref has a byte outside printable ASCII");
	return VP_OK;
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
