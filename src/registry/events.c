/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events: the append-only history (the table's triggers refuse UPDATE and
 * DELETE). Every change writes its event in its own transaction through
 * vp_registry_add_event(); vp_registry_events() pages through those of one n.
 */
#include <string.h>

#include "registry/internal.h"

static const char SQL_EVENT_INSERT[] =
	"INSERT INTO events (at, n, account_id, type, detail, request_id) "
	"VALUES ($1, $2, $3, $4, $5, $6)";
static const char SQL_EVENTS[] = "SELECT id, at, n, account_id, type, detail, request_id "
				 "FROM events WHERE n = $1 AND id > $2 ORDER BY id LIMIT $3";
/* Newest first, each filter off at its zero value: the hub page and GET /v1/events (issue 17). */
static const char SQL_EVENTS_RECENT[] =
	"SELECT id, at, n, account_id, type, detail, request_id FROM events "
	"WHERE (CAST($1 AS BIGINT) = 0 OR n = $1) AND ($2 = '' OR account_id = $2) "
	"AND (CAST($3 AS BIGINT) = 0 OR id < $3) "
	"ORDER BY id DESC LIMIT $4";

vp_code vp_registry_add_event(struct vp_registry *reg, struct vp_db_conn *conn, int64_t at,
			      int64_t n, const char *account, const char *type, const char *detail,
			      const char *request_id, struct vp_error *err)
{
	struct vp_db_param p[] = {
		VP_DB_INT_PARAM(at),       VP_DB_INT_PARAM(n),
		VP_DB_TEXT_PARAM(account), VP_DB_TEXT_PARAM(type),
		VP_DB_TEXT_PARAM(detail),  VP_DB_TEXT_PARAM(request_id ? request_id : ""),
	};
	return reg->ops->exec(conn, SQL_EVENT_INSERT, p, 6, NULL, err);
}

vp_code vp_registry_add_event_json(struct vp_registry *reg, struct vp_db_conn *conn, int64_t at,
				   int64_t n, const char *account, const char *type, json_t *detail,
				   const char *request_id, struct vp_error *err)
{
	char text[VP_REGISTRY_DETAIL_MAX + 1];
	vp_code code = vp_registry_json_text(NULL, detail, VP_REGISTRY_DETAIL_MAX, "event detail",
					     text, err);

	json_decref(detail);
	if (code != VP_OK)
		return code;
	return vp_registry_add_event(reg, conn, at, n, account, type, text, request_id, err);
}

static void read_event(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out)
{
	struct vp_event_record *e = out;

	memset(e, 0, sizeof(*e));
	e->id = ops->get_int(rows, 0);
	e->at = ops->get_int(rows, 1);
	e->n = ops->get_int(rows, 2);
	vp_registry_copy_text(e->account, sizeof(e->account), ops->get_text(rows, 3));
	vp_registry_copy_text(e->type, sizeof(e->type), ops->get_text(rows, 4));
	vp_registry_copy_text(e->detail, sizeof(e->detail), ops->get_text(rows, 5));
	vp_registry_copy_text(e->request_id, sizeof(e->request_id), ops->get_text(rows, 6));
}

vp_code vp_registry_events(struct vp_registry *reg, int64_t n, int64_t after_id,
			   struct vp_event_record *out, size_t max, size_t *count,
			   struct vp_error *err)
{
	struct vp_registry_page page = {
		.sql = SQL_EVENTS,
		.params = {VP_DB_INT_PARAM(n), VP_DB_INT_PARAM(after_id),
			   VP_DB_INT_PARAM((int64_t)max)},
		.nparams = 3,
		.size = sizeof(*out),
		.read_row = read_event,
	};

	return vp_registry_read_page(reg, &page, out, max, count, NULL, err);
}

vp_code vp_registry_events_recent(struct vp_registry *reg, int64_t n, const char *account,
				  int64_t before_id, struct vp_event_record *out, size_t max,
				  size_t *count, struct vp_error *err)
{
	struct vp_registry_page page = {
		.sql = SQL_EVENTS_RECENT,
		.params = {VP_DB_INT_PARAM(n), VP_DB_TEXT_PARAM(account ? account : ""),
			   VP_DB_INT_PARAM(before_id), VP_DB_INT_PARAM((int64_t)max)},
		.nparams = 4,
		.size = sizeof(*out),
		.read_row = read_event,
	};

	return vp_registry_read_page(reg, &page, out, max, count, NULL, err);
}
