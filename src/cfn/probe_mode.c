/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe mode (probe_mode.h): a probe event in, src/probe run from this
 * sandbox (in the client VPC: templates/client.yaml's ProbeFunction), its
 * JSON out. Nothing here retries a failed target: the probe does, within
 * timeout_s.
 */
#include "cfn/probe_mode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfn/response.h"
#include "core/log.h"

#define BLANKS " \t\r\n"

vp_code vp_cfn_probe_list_parse(const char *text, struct vp_probe_target *targets, int max,
				int *count, struct vp_error *err)
{
	struct vp_probe_target one;
	const char *p = text;
	int n = 0;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && strchr(BLANKS, *p)) {
			p++;
			len--;
		}
		while (len && strchr(BLANKS, p[len - 1]))
			len--;
		if (len == 0)
			return vp_fail(err, VP_ERR_INVALID,
				       "target %d is empty: give probe targets separated by commas "
				       "(10.0.1.5:443, http://10.0.1.5:8080/health)",
				       n + 1);
		if (n == max)
			return vp_fail(err, VP_ERR_INVALID, "at most %d targets", max);
		if (vp_probe_target_parse(p, len, targets ? &targets[n] : &one, err) != VP_OK) {
			vp_error_prefix(err, "target %d", n + 1);
			return VP_ERR_INVALID;
		}
		n++;
		if (!end)
			break;
		p = end + 1;
	}
	*count = n;
	return VP_OK;
}

vp_code vp_cfn_probe_event_parse(const char *text, size_t len, struct vp_cfn_probe_event *ev,
				 struct vp_error *err)
{
	json_error_t jerr;
	json_t *doc, *list, *v;
	const char *key;
	vp_code rc = VP_OK;
	int n = 0;

	ev->count = 0;
	ev->timeout_ms = (int64_t)VP_CFN_PROBE_TIMEOUT_DEFAULT_S * 1000;
	if (len > VP_CFN_PROBE_EVENT_MAX)
		return vp_fail(err, VP_ERR_INVALID, "probe event of %zu bytes: at most %zu", len,
			       VP_CFN_PROBE_EVENT_MAX);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return vp_fail(err, VP_ERR_INVALID,
			       "a probe event is a JSON object {\"targets\": [...], \"timeout_s\": "
			       "N}%s%s",
			       doc ? "" : ": ", doc ? "" : jerr.text);
	}
	json_object_foreach(doc, key, v)
	{
		if (strcmp(key, "targets") != 0 && strcmp(key, "timeout_s") != 0) {
			rc = vp_fail(
				err, VP_ERR_INVALID,
				"probe event: unknown key '%.40s' (only targets and timeout_s)",
				key);
			goto done;
		}
	}
	list = json_object_get(doc, "targets");
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > VP_PROBE_MAX_TARGETS) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "probe event: targets must be a list of 1 to %d probe targets",
			     VP_PROBE_MAX_TARGETS);
		goto done;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		v = json_array_get(list, i);
		if (!json_is_string(v)) {
			rc = vp_fail(err, VP_ERR_INVALID, "probe event: target %zu is not a string",
				     i + 1);
			goto done;
		}
		if ((rc = vp_probe_target_parse(json_string_value(v), json_string_length(v),
						&ev->targets[n], err)) != VP_OK) {
			vp_error_prefix(err, "probe event: target %zu", i + 1);
			goto done;
		}
		n++;
	}
	v = json_object_get(doc, "timeout_s");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > VP_CFN_PROBE_TIMEOUT_MAX_S)) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "probe event: timeout_s must be a whole number of seconds, 1 to %d",
			     VP_CFN_PROBE_TIMEOUT_MAX_S);
		goto done;
	}
	if (v)
		ev->timeout_ms = (int64_t)json_integer_value(v) * 1000;
	ev->count = n;
done:
	json_decref(doc);
	return rc;
}

json_t *vp_cfn_probe_json(const struct vp_probe_target *targets,
			  const struct vp_probe_result *results, int count)
{
	json_t *list = json_array();
	bool all = true;

	if (!list)
		return NULL;
	for (int i = 0; i < count; i++) {
		const struct vp_probe_result *r = &results[i];
		all = all && r->reached;
		if (json_array_append_new(
			    list,
			    json_pack("{ss ss ss sb si sI ss* ss* so ss}", "Target",
				      targets[i].text, "Kind", vp_probe_kind_name(targets[i].kind),
				      "Outcome", vp_probe_outcome_name(r->outcome), "Reached",
				      r->reached, "Attempts", r->attempts, "TimeMs",
				      (json_int_t)r->time_ms, "Address",
				      r->address[0] ? r->address : NULL, "LocalAddress",
				      r->local_address[0] ? r->local_address : NULL, "HttpStatus",
				      r->http_status ? json_integer(r->http_status) : json_null(),
				      "Message", r->message)) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return json_pack("{sb so}", "Reached", all, "Targets", list);
}

vp_code vp_cfn_probe_lambda_handler(void *ctx, const struct vp_lambda_invocation *inv,
				    struct vp_buf *response, char *error_type,
				    size_t error_type_size, struct vp_error *err)
{
	const struct vp_cfn_probe_config *cfg = ctx;
	int64_t (*now)(void) = cfg->now_ms ? cfg->now_ms : vp_cfn_now_ms;
	long reserve = cfg->reserve_ms > 0 ? cfg->reserve_ms : 2000;
	struct vp_probe_target *targets = calloc(VP_PROBE_MAX_TARGETS, sizeof(*targets));
	struct vp_probe_result *results = calloc(VP_PROBE_MAX_TARGETS, sizeof(*results));
	struct vp_cfn_probe_event ev = {.targets = targets};
	struct vp_probe_options options;
	json_t *doc = NULL;
	char *text = NULL;
	vp_code rc;

	snprintf(error_type, error_type_size, "HandlerError");
	if (!targets || !results) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto done;
	}
	if ((rc = vp_cfn_probe_event_parse(inv->event.data ? inv->event.data : "", inv->event.len,
					   &ev, err)) != VP_OK) {
		snprintf(error_type, error_type_size, "InvalidEvent");
		goto done;
	}
	vp_probe_options_init(&options);
	options.ca_file = cfg->ca_file;
	options.timeout_ms = ev.timeout_ms;
	/* The answer must leave before Lambda's deadline, or the caller hears only "timed out". */
	if (inv->deadline_ms > 0) {
		int64_t left = inv->deadline_ms - now() - reserve;
		if (left < 1000)
			left = 1000;
		if (options.timeout_ms > left)
			options.timeout_ms = left;
	}
	if (options.attempt_timeout_ms > options.timeout_ms)
		options.attempt_timeout_ms = options.timeout_ms;
	if ((rc = vp_probe_run(targets, ev.count, &options, results, err)) != VP_OK)
		goto done;
	doc = vp_cfn_probe_json(targets, results, ev.count);
	text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!text || vp_buf_appends(response, text) != VP_OK) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto done;
	}
	vp_log(VP_LOG_INFO, "probe: %d target%s, %s", ev.count, ev.count == 1 ? "" : "s",
	       json_is_true(json_object_get(doc, "Reached")) ? "all reached" : "not all reached");
	error_type[0] = '\0';
done:
	free(text);
	json_decref(doc);
	free(targets);
	free(results);
	return rc;
}
