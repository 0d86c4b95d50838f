/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --output table|json, shared by every command that prints an answer: a table
 * for a person at a terminal, one JSON object on one line for a program. By
 * default the choice follows stdout: a terminal gets the table, a pipe or a
 * file gets JSON, so `vpcpeer list | jq` and scripts keep working without a
 * flag while a person reads a table (docs/client.md).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/table.h"
#include "core/buf.h"

const struct cli_option cli_output_options[] = {
	{"output", 'o', "FORMAT", CLI_OUTPUT_OPT_OUTPUT,
	 "table or json (default: a table on a terminal, JSON otherwise)", CLI_OPT_ENV},
	CLI_OPTIONS_END,
};

bool cli_output_apply(const char *command, enum cli_output *o, const struct cli_arg *arg,
		      bool *failed)
{
	if (arg->id != CLI_OUTPUT_OPT_OUTPUT)
		return false;
	if (strcmp(arg->value, "table") == 0) {
		*o = CLI_OUTPUT_TABLE;
	} else if (strcmp(arg->value, "json") == 0) {
		*o = CLI_OUTPUT_JSON;
	} else {
		cli_error(command, "--output must be table or json, not '%.40s'", arg->value);
		*failed = true;
	}
	return true;
}

enum cli_output cli_output_choose(enum cli_output output, enum cli_output alias)
{
	return alias != CLI_OUTPUT_AUTO ? alias : output;
}

bool cli_output_is_json(enum cli_output o)
{
	return o == CLI_OUTPUT_JSON || (o == CLI_OUTPUT_AUTO && !isatty(STDOUT_FILENO));
}

int cli_output_json(const char *command, json_t *doc)
{
	if (!doc || json_dumpf(doc, stdout, JSON_COMPACT) != 0 || putchar('\n') == EOF ||
	    fflush(stdout) != 0) {
		cli_error(command, "cannot write the answer");
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

bool cli_output_value_text(json_t *v, struct vp_buf *out)
{
	const char *key;
	json_t *item;
	size_t i;
	bool ok = true;

	vp_buf_reset(out);
	switch (json_typeof(v)) {
	case JSON_STRING:
		return vp_buf_appends(out, json_string_value(v)) == VP_OK;
	case JSON_INTEGER:
		return vp_buf_appendf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) == VP_OK;
	case JSON_REAL:
		return vp_buf_appendf(out, "%g", json_real_value(v)) == VP_OK;
	case JSON_TRUE:
		return vp_buf_appends(out, "yes") == VP_OK;
	case JSON_FALSE:
		return vp_buf_appends(out, "no") == VP_OK;
	case JSON_OBJECT: /* labels: k=v,k=v */
		json_object_foreach(v, key, item)
		{
			const char *s = json_string_value(item);
			ok = ok && vp_buf_appendf(out, "%s%s=%s", out->len ? "," : "", key,
						  s ? s : "?") == VP_OK;
		}
		return ok;
	case JSON_ARRAY:
		json_array_foreach(v, i, item)
		{
			const char *s = json_string_value(item);
			ok = ok && vp_buf_appendf(out, "%s%s", i ? "," : "", s ? s : "?") == VP_OK;
		}
		return ok;
	default: /* null */
		return vp_buf_appends(out, "-") == VP_OK;
	}
}

int cli_output_object_table(const char *command, json_t *doc)
{
	struct cli_table t;
	struct vp_buf text;
	const char *key;
	json_t *value;
	bool ok = true;

	cli_table_init(&t, 2, NULL);
	cli_table_limit(&t, 1, 100, false);
	vp_buf_init(&text, 64 * 1024);
	json_object_foreach(doc, key, value)
	{
		const char *row[2] = {key, NULL};
		ok = ok && cli_output_value_text(value, &text);
		row[1] = vp_buf_str(&text);
		ok = ok && cli_table_add(&t, row);
	}
	if (ok && !cli_table_print(&t, stdout)) {
		cli_error(command, "cannot write the answer");
		ok = false;
	} else if (!ok) {
		cli_error(command, "out of memory");
	}
	vp_buf_cleanup(&text);
	cli_table_cleanup(&t);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

int cli_output_print(const char *command, enum cli_output o, json_t *doc)
{
	return cli_output_is_json(o) ? cli_output_json(command, doc)
				     : cli_output_object_table(command, doc);
}
