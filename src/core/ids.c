/* SPDX-License-Identifier: Apache-2.0 */
#include "core/ids.h"

#include <string.h>

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

bool vp_ids_account_valid(const char *account)
{
	size_t i;

	if (!account)
		return false;
	for (i = 0; account[i] && i <= VP_IDS_ACCOUNT_LEN; i++)
		if (account[i] < '0' || account[i] > '9')
			return false;
	return i == VP_IDS_ACCOUNT_LEN && !account[i];
}

vp_code vp_ids_account_check(const char *account, struct vp_error *err)
{
	if (!account)
		return vp_fail(err, VP_ERR_INVALID, "missing account id");
	if (!vp_ids_account_valid(account))
		return vp_fail(err, VP_ERR_INVALID,
			       "account id '%.32s' is not 12 digits (an AWS account id is)",
			       printable(account) ? account : "?");
	return VP_OK;
}

vp_code vp_ids_client_ref_check(const char *ref, struct vp_error *err)
{
	size_t len;

	if (!ref)
		return vp_fail(err, VP_ERR_INVALID, "missing client_ref (the idempotency key)");
	len = strlen(ref);
	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID, "client_ref is empty");
	if (len > VP_CLIENT_REF_MAX)
		return vp_fail(err, VP_ERR_INVALID, "client_ref is %zu characters, more than %d",
			       len, VP_CLIENT_REF_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)ref[i];
		if (c == ' ')
			return vp_fail(
				err, VP_ERR_INVALID,
				"client_ref has a space at position %zu: use printable ASCII "
				"without spaces ('!' to '~', e.g. stack/1)",
				i + 1);
		if (c < 0x21 || c > 0x7e)
			return vp_fail(err, VP_ERR_INVALID,
				       "client_ref has byte 0x%02x at position %zu: use printable "
				       "ASCII without spaces ('!' to '~', e.g. stack/1)",
				       c, i + 1);
	}
	return VP_OK;
}

vp_code vp_ids_aws_id_check(const char *id, const char *prefix, const char *field,
			    struct vp_error *err)
{
	size_t plen = strlen(prefix);
	size_t len = strlen(id);
	size_t digits;

	if (len < plen + 1 || strncmp(id, prefix, plen) != 0 || id[plen] != '-')
		return vp_fail(err, VP_ERR_INVALID, "%s must start with '%s-'", field, prefix);
	digits = len - plen - 1;
	if (digits != 8 && digits != 17)
		return vp_fail(err, VP_ERR_INVALID, "%s must be '%s-' and 8 or 17 hex digits",
			       field, prefix);
	for (size_t i = plen + 1; i < len; i++)
		if (!is_hex_lower(id[i]))
			return vp_fail(err, VP_ERR_INVALID,
				       "%s must be '%s-' and 8 or 17 lower-case hex digits", field,
				       prefix);
	return VP_OK;
}
