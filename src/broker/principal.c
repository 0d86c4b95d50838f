/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may change a namespace (issue 14, docs/broker.md "Who may confirm and
 * release"): the principal that registered it, recorded with the record
 * (schema v3), or an admin (--admin-arn); with --authorize account, any
 * principal of its account, as before. The principal of an assumed-role
 * session is its role, so every session of a team's role is the same
 * principal: that is how a team shares a namespace.
 */
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/internal.h"
#include "core/log.h"

const char *vp_broker_authorize_name(enum vp_broker_authorize authorize)
{
	return authorize == VP_BROKER_AUTHORIZE_ACCOUNT ? "account" : "principal";
}

vp_code vp_broker_authorize_parse(const char *text, enum vp_broker_authorize *out,
				  struct vp_error *err)
{
	if (text && strcmp(text, "principal") == 0)
		*out = VP_BROKER_AUTHORIZE_PRINCIPAL;
	else if (text && strcmp(text, "account") == 0)
		*out = VP_BROKER_AUTHORIZE_ACCOUNT;
	else
		return vp_fail(err, VP_ERR_INVALID,
			       "--authorize '%.32s' is neither principal nor account",
			       text ? text : "");
	return VP_OK;
}

void vp_broker_principal_of(const char *arn, char *out, size_t size)
{
	const char *p = arn, *colon, *role, *slash;
	size_t part_len, acct_len;

	/* arn:P:sts::ACCT:assumed-role/ROLE/SESSION -> arn:P:iam::ACCT:role/ROLE */
	if (strncmp(p, "arn:", 4) == 0 && (colon = strchr(p + 4, ':')) != NULL &&
	    strncmp(colon, ":sts::", 6) == 0) {
		part_len = (size_t)(colon - (p + 4));
		acct_len = strcspn(colon + 6, ":");
		role = colon + 6 + acct_len;
		if (strncmp(role, ":assumed-role/", 14) == 0) {
			role += 14;
			slash = strchr(role, '/');
			if (slash && slash > role) {
				int n = snprintf(out, size, "arn:%.*s:iam::%.*s:role/%.*s",
						 (int)part_len, p + 4, (int)acct_len, colon + 6,
						 (int)(slash - role), role);
				if (n > 0 && (size_t)n < size)
					return;
			}
		}
	}
	/* a user, the account root, a federated user: the ARN itself */
	snprintf(out, size, "%s", arn);
}

vp_code vp_broker_check_principal(const struct vp_broker *b, const struct vp_identity *caller,
				  const struct vp_namespace_record *rec, const char *action,
				  struct vp_error *err)
{
	char principal[VP_REGISTRY_ARN_MAX + 1];

	if (!caller || b->authorize == VP_BROKER_AUTHORIZE_ACCOUNT || vp_broker_is_admin(b, caller))
		return VP_OK;
	if (!rec->principal[0]) {
		/* Registered before principals were recorded: its account decides, as then. */
		vp_log(VP_LOG_INFO,
		       "broker: namespace %lld has no recorded principal (registered before schema "
		       "v3): %s may %s it as a principal of account %s",
		       (long long)rec->n, caller->arn, action, rec->account);
		return VP_OK;
	}
	vp_broker_principal_of(caller->arn, principal, sizeof(principal));
	if (strcmp(principal, rec->principal) == 0)
		return VP_OK;
	return vp_fail(err, VP_ERR_FORBIDDEN,
		       "namespace %lld was registered by %s: only that principal (any session of "
		       "that role) or an admin may %s it, not %s (--authorize principal)",
		       (long long)rec->n, rec->principal, action, principal);
}

vp_code vp_broker_check_registration(const struct vp_namespace_record *rec, const char *client_ref,
				     vp_code code, const char *action, struct vp_error *err)
{
	if (!client_ref || !client_ref[0] || strcmp(client_ref, rec->client_ref) == 0)
		return VP_OK;
	return vp_fail(err, code,
		       "namespace %lld now holds registration '%.64s' of account %s, not '%.64s': "
		       "yours ended (released, or expired after --pending-ttl) and n was reused; "
		       "nothing to %s (register again for a namespace)",
		       (long long)rec->n, rec->client_ref, rec->account, client_ref, action);
}
