/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <string.h>

#include "cli/cli.h"

void cli_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vpcpeer%s%s: ", command ? " " : "", command ? command : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct cli_option *find_long(const struct cli_option *const *tables, const char *name,
					  size_t len)
{
	for (size_t t = 0; tables[t]; t++)
		for (const struct cli_option *o = tables[t]; o->name; o++)
			if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
				return o;
	return NULL;
}

static const struct cli_option *find_short(const struct cli_option *const *tables, char c)
{
	for (size_t t = 0; tables[t]; t++)
		for (const struct cli_option *o = tables[t]; o->name; o++)
			if (o->short_name && o->short_name == c)
				return o;
	return NULL;
}

bool cli_option_takes_value(const struct cli_option *const *tables, const char *name)
{
	const struct cli_option *o = find_long(tables, name, strlen(name));
	return o && o->metavar;
}

static bool is_negative_number(const char *s)
{
	return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

static bool push(const char *command, struct cli_args *out, int id, const char *value)
{
	if (out->count >= CLI_MAX_ARGS) {
		cli_error(command, "too many arguments (at most %d)", CLI_MAX_ARGS);
		return false;
	}
	out->items[out->count].id = id;
	out->items[out->count].value = value;
	out->count++;
	return true;
}

bool cli_parse(const char *command, int argc, char **argv, const struct cli_option *const *tables,
	       struct cli_args *out)
{
	bool only_positionals = false;

	out->count = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const struct cli_option *o;
		const char *value = NULL;

		if (only_positionals || arg[0] != '-' || arg[1] == '\0' || is_negative_number(arg)) {
			if (!push(command, out, 0, arg))
				return false;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_positionals = true;
			continue;
		}
		if (arg[1] == '-') {
			const char *name = arg + 2;
			const char *eq = strchr(name, '=');
			o = find_long(tables, name, eq ? (size_t)(eq - name) : strlen(name));
			if (!o) {
				cli_error(command, "unknown option '%.*s' (see 'vpcpeer%s%s --help')",
					  eq ? (int)(eq - arg) : (int)strlen(arg), arg,
					  command ? " " : "", command ? command : "");
				return false;
			}
			if (eq)
				value = eq + 1;
			if (eq && !o->metavar) {
				cli_error(command, "option '--%s' takes no value", o->name);
				return false;
			}
		} else {
			o = find_short(tables, arg[1]);
			if (!o || arg[2] != '\0') {
				cli_error(command, "unknown option '%s' (see 'vpcpeer%s%s --help')", arg,
					  command ? " " : "", command ? command : "");
				return false;
			}
		}
		if (o->metavar && !value) {
			if (i + 1 >= argc) {
				cli_error(command, "option '--%s' needs a value (%s)", o->name,
					  o->metavar);
				return false;
			}
			value = argv[++i];
		}
		if (!push(command, out, o->id, value))
			return false;
	}
	return true;
}

void cli_print_options(FILE *out, const struct cli_option *const *tables)
{
	for (size_t t = 0; tables[t]; t++) {
		for (const struct cli_option *o = tables[t]; o->name; o++) {
			char left[64];
			if (o->short_name)
				snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
					 o->metavar ? " " : "", o->metavar ? o->metavar : "");
			else
				snprintf(left, sizeof(left), "    --%s%s%s", o->name,
					 o->metavar ? " " : "", o->metavar ? o->metavar : "");
			fprintf(out, "  %-26s %s\n", left, o->help);
		}
	}
}
