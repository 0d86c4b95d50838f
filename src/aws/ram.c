/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS RAM over REST-JSON (ram.h). Shapes from the RAM API reference
 * (https://docs.aws.amazon.com/ram/latest/APIReference/): ResourceShareAssociation,
 * ResourceShareInvitation, ResourceShare. Every answer is read by one
 * table-driven parser: an array (or one object) of items whose string members
 * are copied; members the reference does not mark as always present are
 * optional.
 */
#include "aws/ram.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "aws/client.h"
#include "aws/endpoint.h"

/* --- shapes ---------------------------------------------------------------------- */

struct json_field {
	const char *name;
	bool required;
	size_t offset;
};

#define ASSOC(m, n, r)                                                                             \
	{                                                                                          \
		n, r, offsetof(struct vp_aws_ram_association, m)                                   \
	}
#define INVIT(m, n, r)                                                                             \
	{                                                                                          \
		n, r, offsetof(struct vp_aws_ram_invitation, m)                                    \
	}
#define SHARE(m, n, r)                                                                             \
	{                                                                                          \
		n, r, offsetof(struct vp_aws_ram_share, m)                                         \
	}

static const struct json_field association_fields[] = {
	ASSOC(resource_share_arn, "resourceShareArn", true),
	ASSOC(associated_entity, "associatedEntity", false),
	ASSOC(association_type, "associationType", false),
	ASSOC(status, "status", false),
	ASSOC(status_message, "statusMessage", false),
};
static const struct json_field invitation_fields[] = {
	INVIT(invitation_arn, "resourceShareInvitationArn", true),
	INVIT(resource_share_arn, "resourceShareArn", false),
	INVIT(resource_share_name, "resourceShareName", false),
	INVIT(sender_account_id, "senderAccountId", false),
	INVIT(receiver_account_id, "receiverAccountId", false),
	INVIT(status, "status", false),
};
static const struct json_field share_fields[] = {
	SHARE(resource_share_arn, "resourceShareArn", true),
	SHARE(name, "name", false),
	SHARE(owning_account_id, "owningAccountId", false),
	SHARE(status, "status", false),
};

/* How one answer holds its items. */
struct json_shape {
	const char *array;  /* "resourceShareAssociations" */
	const char *single; /* "resourceShareInvitation" (Accept), or NULL */
	size_t size;        /* of one item */
	const struct json_field *fields;
	size_t field_count;
	const char *flag; /* a boolean member, or NULL */
	size_t flag_offset;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct json_shape association_shape = {
	"resourceShareAssociations",
	NULL,
	sizeof(struct vp_aws_ram_association),
	association_fields,
	COUNT(association_fields),
	"external",
	offsetof(struct vp_aws_ram_association, external),
};
static const struct json_shape invitation_shape = {
	"resourceShareInvitations",
	"resourceShareInvitation",
	sizeof(struct vp_aws_ram_invitation),
	invitation_fields,
	COUNT(invitation_fields),
	NULL,
	0,
};
static const struct json_shape share_shape = {
	"resourceShares",
	NULL,
	sizeof(struct vp_aws_ram_share),
	share_fields,
	COUNT(share_fields),
	"allowExternalPrincipals",
	offsetof(struct vp_aws_ram_share, allow_external_principals),
};

static char **text_at(void *item, size_t offset)
{
	return (char **)(void *)((char *)item + offset);
}

static void item_cleanup(const struct json_shape *s, void *item)
{
	for (size_t i = 0; i < s->field_count; i++)
		free(*text_at(item, s->fields[i].offset));
}

static void items_free(const struct json_shape *s, void *items, size_t count)
{
	for (size_t i = 0; i < count; i++)
		item_cleanup(s, (char *)items + i * s->size);
	free(items);
}

void vp_aws_ram_associations_free(struct vp_aws_ram_associations *l)
{
	if (l)
		items_free(&association_shape, l->items, l->count);
	free(l);
}

void vp_aws_ram_invitations_free(struct vp_aws_ram_invitations *l)
{
	if (l)
		items_free(&invitation_shape, l->items, l->count);
	free(l);
}

void vp_aws_ram_shares_free(struct vp_aws_ram_shares *l)
{
	if (l)
		items_free(&share_shape, l->items, l->count);
	free(l);
}

/* --- parsing --------------------------------------------------------------------- */

static vp_code parse_item(const struct json_shape *s, const json_t *obj, void *item,
			  struct vp_error *err)
{
	if (!json_is_object(obj))
		return vp_fail(err, VP_ERR_INVALID, "answer has a %s item that is not an object",
			       s->array);
	for (size_t i = 0; i < s->field_count; i++) {
		const json_t *v = json_object_get(obj, s->fields[i].name);
		char **dst = text_at(item, s->fields[i].offset);
		if (!v || json_is_null(v)) {
			if (s->fields[i].required)
				return vp_fail(err, VP_ERR_INVALID,
					       "answer has a %s item with no %s", s->array,
					       s->fields[i].name);
			continue;
		}
		if (!json_is_string(v))
			return vp_fail(err, VP_ERR_INVALID, "answer's %s is not a string",
				       s->fields[i].name);
		if (!(*dst = strdup(json_string_value(v))))
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	if (s->flag)
		*(bool *)(void *)((char *)item + s->flag_offset) =
			json_is_true(json_object_get(obj, s->flag));
	return VP_OK;
}

/* Append one item of the answer to the caller's items and count. */
static vp_code append(const struct json_shape *s, const json_t *obj, void **items, size_t *count,
		      struct vp_error *err)
{
	char *grown;
	vp_code rc;

	if (*count >= VP_AWS_RAM_MAX_ITEMS)
		return vp_fail(err, VP_ERR_RANGE, "answer has more than %d items",
			       VP_AWS_RAM_MAX_ITEMS);
	if (!(grown = realloc(*items, (*count + 1) * s->size)))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	*items = grown;
	memset(grown + *count * s->size, 0, s->size);
	rc = parse_item(s, obj, grown + *count * s->size, err);
	(*count)++; /* a half-filled item is cleaned up with the others */
	return rc;
}

/*
 * One answer's items appended to the caller's items and count; on failure the list
 * is as it was. next_token (may be NULL) gets nextToken or NULL.
 */
static vp_code parse_answer(const struct json_shape *s, const char *body, size_t len, void **items,
			    size_t *count, char **next_token, struct vp_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *arr, *one, *next;
	size_t before = *count;
	vp_code rc = VP_OK;

	if (!doc)
		return vp_fail(err, VP_ERR_INVALID, "answer is not JSON: %s", jerr.text);
	arr = json_object_get(doc, s->array);
	one = s->single ? json_object_get(doc, s->single) : NULL;
	next = json_object_get(doc, "nextToken");
	if (!json_is_object(doc))
		rc = vp_fail(err, VP_ERR_INVALID, "answer is not a JSON object");
	else if (arr && !json_is_array(arr) && !json_is_null(arr))
		rc = vp_fail(err, VP_ERR_INVALID, "answer's %s is not an array", s->array);
	else if (next && !json_is_string(next) && !json_is_null(next))
		rc = vp_fail(err, VP_ERR_INVALID, "answer's nextToken is not a string");
	for (size_t i = 0; rc == VP_OK && json_is_array(arr) && i < json_array_size(arr); i++)
		rc = append(s, json_array_get(arr, i), items, count, err);
	if (rc == VP_OK && one && !json_is_null(one))
		rc = append(s, one, items, count, err);
	if (rc == VP_OK && next_token) {
		*next_token = NULL;
		if (json_is_string(next) && json_string_length(next) > 0 &&
		    !(*next_token = strdup(json_string_value(next))))
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	json_decref(doc);
	if (rc != VP_OK) {
		for (size_t i = before; i < *count; i++)
			item_cleanup(s, (char *)*items + i * s->size);
		*count = before;
	}
	return rc;
}

/* A typed list {items, count}: allocated on first use, freed on failure if it was new. */
#define PARSE_LIST(shape, list_type, free_fn)                                                      \
	do {                                                                                       \
		list_type *l = *list;                                                              \
		vp_code rc;                                                                        \
		if (!l && !(l = calloc(1, sizeof(*l))))                                            \
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");                        \
		rc = parse_answer(&(shape), body, len, (void **)&l->items, &l->count, next_token,  \
				  err);                                                            \
		if (rc != VP_OK && !*list)                                                         \
			free_fn(l);                                                                \
		else                                                                               \
			*list = l;                                                                 \
		return rc;                                                                         \
	} while (0)

vp_code vp_aws_ram_parse_associations(const char *body, size_t len,
				      struct vp_aws_ram_associations **list, char **next_token,
				      struct vp_error *err)
{
	PARSE_LIST(association_shape, struct vp_aws_ram_associations, vp_aws_ram_associations_free);
}

vp_code vp_aws_ram_parse_invitations(const char *body, size_t len,
				     struct vp_aws_ram_invitations **list, char **next_token,
				     struct vp_error *err)
{
	PARSE_LIST(invitation_shape, struct vp_aws_ram_invitations, vp_aws_ram_invitations_free);
}

vp_code vp_aws_ram_parse_shares(const char *body, size_t len, struct vp_aws_ram_shares **list,
				char **next_token, struct vp_error *err)
{
	PARSE_LIST(share_shape, struct vp_aws_ram_shares, vp_aws_ram_shares_free);
}

/* --- calls ----------------------------------------------------------------------- */

/* A version-4 UUID from the system's random source (the clientToken's usual form). */
static vp_code random_token(char out[37], struct vp_aws_error *err)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return vp_aws_error_fail(err, VP_ERR_INTERNAL, "ram: no random bytes for a token");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return VP_OK;
}

/* One page's parse: the shape, the caller's list, the next token. */
struct page {
	vp_code (*parse)(const char *, size_t, void *, char **, struct vp_error *);
	void *list; /* the typed list's address (struct ..._list **) */
	char *next;
};

static vp_code parse_page(const char *body, size_t len, void *ctx, struct vp_error *err)
{
	struct page *pg = ctx;
	return pg->parse(body, len, pg->list, &pg->next, err);
}

/*
 * POST `req` (owned: consumed) to `path`, following nextToken when `paged`.
 * The JSON document is the request; nextToken is set in it per page.
 */
static vp_code send(struct vp_aws_client *c, const char *action, const char *path, json_t *req,
		    bool paged, struct page *pg, struct vp_aws_error *err)
{
	vp_code rc = VP_OK;
	int pages = 0;

	if (!req)
		return vp_aws_error_fail(err, VP_ERR_NOMEM, "ram %s: out of memory", action);
	do {
		char *doc;
		if (++pages > VP_AWS_RAM_MAX_PAGES) {
			rc = vp_aws_error_fail(err, VP_ERR_RANGE, "ram %s: more than %d pages",
					       action, VP_AWS_RAM_MAX_PAGES);
			break;
		}
		if (pg->next && json_object_set_new(req, "nextToken", json_string(pg->next)) != 0) {
			rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "ram %s: out of memory", action);
			break;
		}
		free(pg->next);
		pg->next = NULL;
		if (!(doc = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS))) {
			rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "ram %s: out of memory", action);
			break;
		}
		rc = vp_aws_client_call_json(c, VP_AWS_RAM, action, path, doc, parse_page, pg, err);
		free(doc);
	} while (rc == VP_OK && paged && pg->next);
	free(pg->next);
	pg->next = NULL;
	json_decref(req);
	return rc;
}

/* An array of strings (NULL entries refused). */
static json_t *string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (!v[i] || json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static vp_code parse_associations_ctx(const char *b, size_t n, void *list, char **next,
				      struct vp_error *e)
{
	return vp_aws_ram_parse_associations(b, n, list, next, e);
}

static vp_code share_change(struct vp_aws_client *c, const char *action, const char *path,
			    const struct vp_aws_ram_share_change *ch,
			    struct vp_aws_ram_associations **out, struct vp_aws_error *err)
{
	struct vp_aws_ram_associations *l = NULL;
	struct page pg = {parse_associations_ctx, &l, NULL};
	char token[37];
	json_t *req;
	vp_code rc;

	if (!ch || !ch->resource_share_arn || strncmp(ch->resource_share_arn, "arn:", 4) != 0 ||
	    ch->principal_count + ch->resource_count == 0 ||
	    ch->principal_count > VP_AWS_RAM_MAX_LIST || ch->resource_count > VP_AWS_RAM_MAX_LIST)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ram %s: a resource share ARN (arn:...) and 1 to %d "
					 "principals and resource ARNs each are needed",
					 action, VP_AWS_RAM_MAX_LIST);
	if (!ch->client_token && (rc = random_token(token, err)) != VP_OK)
		return rc;
	req = json_object();
	if (req) {
		json_object_set_new(req, "resourceShareArn", json_string(ch->resource_share_arn));
		json_object_set_new(req, "clientToken",
				    json_string(ch->client_token ? ch->client_token : token));
		if (ch->principal_count)
			json_object_set_new(req, "principals",
					    string_array(ch->principals, ch->principal_count));
		if (ch->resource_count)
			json_object_set_new(req, "resourceArns",
					    string_array(ch->resource_arns, ch->resource_count));
	}
	rc = send(c, action, path, req, false, &pg, err);
	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK && out)
		*out = l;
	else
		vp_aws_ram_associations_free(l);
	return rc;
}

vp_code vp_aws_ram_associate(struct vp_aws_client *c, const struct vp_aws_ram_share_change *ch,
			     struct vp_aws_ram_associations **out, struct vp_aws_error *err)
{
	return share_change(c, "AssociateResourceShare", "/associateresourceshare", ch, out, err);
}

vp_code vp_aws_ram_disassociate(struct vp_aws_client *c, const struct vp_aws_ram_share_change *ch,
				struct vp_aws_ram_associations **out, struct vp_aws_error *err)
{
	return share_change(c, "DisassociateResourceShare", "/disassociateresourceshare", ch, out,
			    err);
}

/* Set key to the string v unless v is NULL. */
static void set_optional(json_t *req, const char *key, const char *v)
{
	if (req && v)
		json_object_set_new(req, key, json_string(v));
}

vp_code vp_aws_ram_get_associations(struct vp_aws_client *c,
				    const struct vp_aws_ram_association_query *q,
				    struct vp_aws_ram_associations **out, struct vp_aws_error *err)
{
	static const char action[] = "GetResourceShareAssociations";
	struct vp_aws_ram_associations *l = NULL;
	struct page pg = {parse_associations_ctx, &l, NULL};
	json_t *req;
	vp_code rc;

	if (!q || !q->association_type ||
	    (strcmp(q->association_type, "PRINCIPAL") != 0 &&
	     strcmp(q->association_type, "RESOURCE") != 0))
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ram %s: associationType must be PRINCIPAL or RESOURCE",
					 action);
	/* "You cannot specify this parameter if the association type is ..." (RAM API). */
	if ((q->principal && strcmp(q->association_type, "PRINCIPAL") != 0) ||
	    (q->resource_arn && strcmp(q->association_type, "RESOURCE") != 0))
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ram %s: a principal goes with PRINCIPAL, a resource ARN "
					 "with RESOURCE",
					 action);
	req = json_object();
	set_optional(req, "associationType", q->association_type);
	set_optional(req, "principal", q->principal);
	set_optional(req, "resourceArn", q->resource_arn);
	set_optional(req, "associationStatus", q->status);
	if (req && q->resource_share_arn)
		json_object_set_new(req, "resourceShareArns",
				    string_array(&q->resource_share_arn, 1));
	rc = send(c, action, "/getresourceshareassociations", req, true, &pg, err);
	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_ram_associations_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

static vp_code parse_invitations_ctx(const char *b, size_t n, void *list, char **next,
				     struct vp_error *e)
{
	return vp_aws_ram_parse_invitations(b, n, list, next, e);
}

vp_code vp_aws_ram_get_invitations(struct vp_aws_client *c, const char *arn,
				   struct vp_aws_ram_invitations **out, struct vp_aws_error *err)
{
	struct vp_aws_ram_invitations *l = NULL;
	struct page pg = {parse_invitations_ctx, &l, NULL};
	json_t *req = json_object();
	vp_code rc;

	if (req && arn)
		json_object_set_new(req, "resourceShareArns", string_array(&arn, 1));
	rc = send(c, "GetResourceShareInvitations", "/getresourceshareinvitations", req, true, &pg,
		  err);
	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_ram_invitations_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

vp_code vp_aws_ram_accept_invitation(struct vp_aws_client *c, const char *arn,
				     const char *client_token, struct vp_aws_ram_invitations **out,
				     struct vp_aws_error *err)
{
	static const char action[] = "AcceptResourceShareInvitation";
	struct vp_aws_ram_invitations *l = NULL;
	struct page pg = {parse_invitations_ctx, &l, NULL};
	char token[37];
	json_t *req;
	vp_code rc;

	if (!arn || strncmp(arn, "arn:", 4) != 0)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ram %s: \"%s\" is not an invitation ARN (arn:...)",
					 action, arn ? arn : "");
	if (!client_token && (rc = random_token(token, err)) != VP_OK)
		return rc;
	req = json_object();
	set_optional(req, "resourceShareInvitationArn", arn);
	set_optional(req, "clientToken", client_token ? client_token : token);
	rc = send(c, action, "/acceptresourceshareinvitation", req, false, &pg, err);
	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK && out)
		*out = l;
	else
		vp_aws_ram_invitations_free(l);
	return rc;
}

static vp_code parse_shares_ctx(const char *b, size_t n, void *list, char **next,
				struct vp_error *e)
{
	return vp_aws_ram_parse_shares(b, n, list, next, e);
}

vp_code vp_aws_ram_get_shares(struct vp_aws_client *c, const char *owner, const char *arn,
			      struct vp_aws_ram_shares **out, struct vp_aws_error *err)
{
	static const char action[] = "GetResourceShares";
	struct vp_aws_ram_shares *l = NULL;
	struct page pg = {parse_shares_ctx, &l, NULL};
	json_t *req;
	vp_code rc;

	if (!owner || (strcmp(owner, "SELF") != 0 && strcmp(owner, "OTHER-ACCOUNTS") != 0))
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ram %s: resourceOwner must be SELF or OTHER-ACCOUNTS",
					 action);
	req = json_object();
	set_optional(req, "resourceOwner", owner);
	if (req && arn)
		json_object_set_new(req, "resourceShareArns", string_array(&arn, 1));
	rc = send(c, action, "/getresourceshares", req, true, &pg, err);
	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_ram_shares_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}
